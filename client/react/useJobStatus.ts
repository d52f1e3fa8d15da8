import { useMemo } from 'react';
import { findJob } from '../findJob.js';
import type { JobSelector, RoomJob, RoomSnapshot } from '../index.js';
import { useRoom } from './useRoom.js';

/** What {@link useJobStatus} returns. */
export interface JobStatusResult {
  /** The job's latest status (`carriedOver` set when it survived an epoch change); undefined until the room has reported it. */
  readonly status: RoomJob | undefined;
  /** The whole room, for its state ('pending', 'active', 'rejected', …) and error. */
  readonly room: RoomSnapshot;
}

/** The job of the room updated last (by the server's `updatedAt`), or undefined when the room has none. */
export const latestJob = (jobs: RoomSnapshot['jobs']): RoomJob | undefined => findJob(jobs);

/**
 * One job's live status, from the room it reports to. Name it by `{ queue, jobId }` (ids are
 * unique per queue only), by `jobId` alone (any queue), by `{ queue }` (that queue's latest
 * job), or not at all: the job of the room that was updated most recently.
 *
 * @example
 * const { status, room } = useJobStatus('document:42', { queue: 'summaries', jobId });
 * if (room.state === 'rejected') return <p>{room.error?.message}</p>;
 * return <Progress state={status?.state} value={status?.progress} />;
 */
export function useJobStatus(room: string, job?: string | JobSelector): JobStatusResult {
  const snapshot = useRoom(room);
  const status = findJob(snapshot.jobs, typeof job === 'string' ? { jobId: job } : job);
  // One object per (status, room) pair, so children memoized on the result re-render only on change.
  return useMemo(() => ({ status, room: snapshot }), [status, snapshot]);
}
