import { createContext, useContext } from 'react';
import type { ReactNode } from 'react';
import type { JobcastClient } from '../index.js';

const JobcastContext = createContext<JobcastClient | null>(null);
JobcastContext.displayName = 'JobcastContext';

/** Props of {@link JobcastProvider}. */
export interface JobcastProviderProps {
  /** The client every hook below uses; create it once, outside render (`createJobcastClient`). */
  client: JobcastClient;
  children?: ReactNode;
}

/**
 * Hands a jobcast client to the hooks and the debug panel below it. It does not connect or
 * close the client: the application owns its life, so a remount never opens a second socket.
 *
 * @example
 * const client = createJobcastClient({ url: API_URL, getToken, unsubscribeDelayMs: 1_000 });
 * root.render(<JobcastProvider client={client}><App /></JobcastProvider>);
 */
export function JobcastProvider({ client, children }: JobcastProviderProps): ReactNode {
  return <JobcastContext.Provider value={client}>{children}</JobcastContext.Provider>;
}

/** The client from the nearest {@link JobcastProvider}; throws when there is none. */
export function useJobcast(): JobcastClient {
  const client = useContext(JobcastContext);
  if (client === null) {
    throw new Error('jobcast: useJobcast() and the jobcast hooks need a <JobcastProvider client={…}> above them');
  }
  return client;
}

/** The client from the nearest {@link JobcastProvider}, or undefined (for components that also take a `client` prop). */
export function useOptionalJobcast(): JobcastClient | undefined {
  return useContext(JobcastContext) ?? undefined;
}
