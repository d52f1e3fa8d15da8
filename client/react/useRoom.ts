import { useCallback, useMemo, useSyncExternalStore } from 'react';
import type { JobcastRoom, RoomSnapshot } from '../index.js';
import { useJobcast } from './JobcastProvider.js';
import { serverRoomSnapshot } from './serverSnapshots.js';

/**
 * The room's store from the provider's client: the same store for the same name, so
 * `useSyncExternalStore` keeps its subscription across renders.
 */
export function useRoomStore(room: string): JobcastRoom {
  const client = useJobcast();
  return useMemo(() => client.room(room), [client, room]);
}

/**
 * Every job of one room (one resource), kept up to date. The room is subscribed while at
 * least one component uses it, and released after the client's `unsubscribeDelayMs` once the
 * last one unmounts, so StrictMode's mount/unmount/mount subscribes once.
 *
 * @example
 * const { state, jobs, error } = useRoom('document:42');
 */
export function useRoom(room: string): RoomSnapshot {
  const store = useRoomStore(room);
  const getServerSnapshot = useCallback(() => serverRoomSnapshot(room), [room]);
  return useSyncExternalStore(store.subscribe, store.getSnapshot, getServerSnapshot);
}
