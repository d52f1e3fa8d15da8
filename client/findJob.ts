import { jobKeyOf } from '../shared/identity.js';
import type { JobSelector, RoomJob } from './types.js';

/**
 * The job of a room that `selector` names: `{ queue, jobId }` exactly; `{ jobId }` in any
 * queue (the one updated last when several queues use that id); `{ queue }` the queue's job
 * updated last; `{}` the room's job updated last (by the server's `updatedAt`).
 *
 * @example
 * const status = findJob(room.getSnapshot().jobs, { queue: 'imports', jobId: '1' });
 */
export function findJob(jobs: Readonly<Record<string, RoomJob>>, selector: JobSelector = {}): RoomJob | undefined {
  const { queue, jobId } = selector;
  if (queue !== undefined && jobId !== undefined) return jobs[jobKeyOf({ queue, jobId })];
  let latest: RoomJob | undefined;
  for (const job of Object.values(jobs)) {
    if ((queue !== undefined && job.queue !== queue) || (jobId !== undefined && job.jobId !== jobId)) continue;
    if (latest === undefined || job.updatedAt >= latest.updatedAt) latest = job;
  }
  return latest;
}
