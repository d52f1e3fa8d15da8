import { useSyncExternalStore } from 'react';
import type { ConnectionSnapshot } from '../index.js';
import { useJobcast } from './JobcastProvider.js';
import { SERVER_CONNECTION } from './serverSnapshots.js';

const getServerSnapshot = (): ConnectionSnapshot => SERVER_CONNECTION;

/**
 * The client's connection: state, transport, reconnect attempts, last error and timeline.
 * 'idle' on the server and during hydration.
 *
 * @example
 * const { state, attempt } = useConnection();
 * if (state === 'reconnecting') return <Banner>Reconnecting (attempt {attempt})…</Banner>;
 */
export function useConnection(): ConnectionSnapshot {
  const { connection } = useJobcast();
  return useSyncExternalStore(connection.subscribe, connection.getSnapshot, getServerSnapshot);
}
