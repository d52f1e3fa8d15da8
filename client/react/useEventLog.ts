import { useMemo, useSyncExternalStore } from 'react';
import type { LogEntry } from '../index.js';
import { useJobcast } from './JobcastProvider.js';
import { SERVER_LOG } from './serverSnapshots.js';

/** Which log entries {@link useEventLog} keeps; every field given must match. */
export interface EventLogFilter {
  readonly room?: string;
  /** With `jobId`, tells apart jobs of the same id in two queues. */
  readonly queue?: string;
  readonly jobId?: string;
  readonly correlationId?: string;
  /** Keep only the last `limit` matching entries. */
  readonly limit?: number;
}

const getServerSnapshot = (): readonly LogEntry[] => SERVER_LOG;

/** True when `entry` matches every field of `filter` that is set (empty strings match all). */
export function matchesLogFilter(entry: LogEntry, filter: EventLogFilter): boolean {
  return (
    (!filter.room || entry.room === filter.room) &&
    (!filter.queue || entry.queue === filter.queue) &&
    (!filter.jobId || entry.jobId === filter.jobId) &&
    (!filter.correlationId || entry.correlationId === filter.correlationId)
  );
}

/**
 * The client's event log (oldest first), optionally filtered; re-renders on every new entry.
 *
 * @example
 * const statuses = useEventLog({ room: 'document:42' }).filter((entry) => entry.kind === 'status');
 */
export function useEventLog(filter: EventLogFilter = {}): readonly LogEntry[] {
  const { log } = useJobcast();
  const entries = useSyncExternalStore(log.subscribe, log.getSnapshot, getServerSnapshot);
  const { room, queue, jobId, correlationId, limit } = filter;
  return useMemo(() => {
    const filtering = room || queue || jobId || correlationId;
    const kept = filtering ? entries.filter((entry) => matchesLogFilter(entry, { room, queue, jobId, correlationId })) : entries;
    return limit === undefined ? kept : kept.slice(-limit);
  }, [entries, room, queue, jobId, correlationId, limit]);
}
