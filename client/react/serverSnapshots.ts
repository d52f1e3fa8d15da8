import type { ConnectionSnapshot, GapStats, LogEntry, RoomSnapshot } from '../index.js';

/**
 * What the hooks render on the server and during hydration: nothing is connected or known
 * yet. Constants (or cached per room), because React compares server snapshots by identity.
 */
export const SERVER_CONNECTION: ConnectionSnapshot = Object.freeze({ state: 'idle', attempt: 0, timeline: Object.freeze([]) });

/** An empty event log. */
export const SERVER_LOG: readonly LogEntry[] = Object.freeze([]);

const NO_GAPS: GapStats = Object.freeze({ detected: 0, replayed: 0, resynced: 0, ranges: Object.freeze([]) });
const NO_JOBS = Object.freeze({});

/** Bounded, so a server rendering many distinct rooms does not grow it without end. */
const ROOM_CACHE_SIZE = 500;
const roomCache = new Map<string, RoomSnapshot>();

/**
 * A room as a fresh client store shows it before its first subscribe: 'pending', no jobs.
 * The same object for the same name, so it can be returned from `getServerSnapshot`.
 */
export function serverRoomSnapshot(room: string): RoomSnapshot {
  let snapshot = roomCache.get(room);
  if (snapshot === undefined) {
    snapshot = Object.freeze({ room, state: 'pending', subscription: 'idle', seq: 0, jobs: NO_JOBS, gaps: NO_GAPS });
    if (roomCache.size >= ROOM_CACHE_SIZE) roomCache.delete(roomCache.keys().next().value as string);
    roomCache.set(room, snapshot);
  }
  return snapshot;
}
