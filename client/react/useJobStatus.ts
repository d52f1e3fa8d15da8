import { useMemo } from 'react';
import type { JobStatus } from '../../shared/index.js';
import type { RoomSnapshot } from '../index.js';
import { useRoom } from './useRoom.js';

/** What {@link useJobStatus} returns. */
export interface JobStatusResult {
  /** The job's latest status; undefined until the room has reported it. */
  readonly status: JobStatus | undefined;
  /** The whole room, for its state ('pending', 'active', 'rejected', …) and error. */
  readonly room: RoomSnapshot;
}

/** The job of the room updated last (by the server's `updatedAt`), or undefined when the room has none. */
export function latestJob(jobs: RoomSnapshot['jobs']): JobStatus | undefined {
  let latest: JobStatus | undefined;
  for (const status of Object.values(jobs)) {
    if (latest === undefined || status.updatedAt >= latest.updatedAt) latest = status;
  }
  return latest;
}

/**
 * One job's live status, from the room it reports to. Without `jobId`, the job of the room
 * that was updated most recently (handy for "the current export of this document").
 *
 * @example
 * const { status, room } = useJobStatus('document:42', jobId);
 * if (room.state === 'rejected') return <p>{room.error?.message}</p>;
 * return <Progress state={status?.state} value={status?.progress} />;
 */
export function useJobStatus(room: string, jobId?: string): JobStatusResult {
  const snapshot = useRoom(room);
  const status = jobId === undefined ? latestJob(snapshot.jobs) : snapshot.jobs[jobId];
  // One object per (status, room) pair, so children memoized on the result re-render only on change.
  return useMemo(() => ({ status, room: snapshot }), [status, snapshot]);
}
