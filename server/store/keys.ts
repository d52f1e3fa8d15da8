/**
 * Every Redis key jobcast writes, in one place, laid out for Redis Cluster: every script and
 * MULTI touches keys of one hash slot only.
 * - A room's keys carry the room as their hash tag (`jobcast:room:{document:42}:meta`): its
 *   cursor, history and snapshot live (and expire) together.
 * - A queue's keys carry the hash tag of the queue's BullMQ keys when they have one
 *   (`{bull}:summaries:*` gives `jobcast:{bull}:q:summaries:*`), so a script may read BullMQ's
 *   events stream and a job's record next to jobcast's own. BullMQ needs that tag on a cluster;
 *   on one Redis, without it, the queue's keys keep the plain `jobcast:q:<queue>:*` form.
 */
export function createKeys(prefix: string, bullPrefix = 'bull') {
  const queueBase = (queue: string) => {
    const tag = hashTagOf(`${bullPrefix}:${queue}`);
    return tag === undefined ? `${prefix}:q:${queue}` : `${prefix}:{${tag}}:q:${queue}`;
  };
  const roomBase = (room: string) => `${prefix}:room:{${room}}`;
  return {
    roomMeta: (room: string) => `${roomBase(room)}:meta`,
    roomHistory: (room: string) => `${roomBase(room)}:hist`,
    roomJobs: (room: string) => `${roomBase(room)}:jobs`,
    roomJobIndex: (room: string) => `${roomBase(room)}:jobidx`,
    /** The last events-stream id ingested for a queue: where the next ingesting node resumes. */
    queueCursor: (queue: string) => `${queueBase(queue)}:last`,
    /** Which node ingests a queue's events now (a lease with a token, renewed while it lives). */
    queueLease: (queue: string) => `${queueBase(queue)}:lease`,
    /** The fence number of the queue's last lease: each new lease's is greater (queueLease.ts). */
    queueFence: (queue: string) => `${queueBase(queue)}:fence`,
    /** Jobs of a queue whose last public state was not terminal: what the reconciler checks. */
    queueOpenJobs: (queue: string) => `${queueBase(queue)}:open`,
    /** Jobs a subscriber saw unfinished, for the ingesting node to check against BullMQ. */
    queueChecks: (queue: string) => `${queueBase(queue)}:check`,
    /** The rooms that showed subscribers a job unfinished, with its incarnation: where the check shows it lost when nothing else records its rooms. */
    queueSightings: (queue: string, jobId: string) => `${queueBase(queue)}:seen:${jobId}`,
    /** Written once; its disappearance means Redis lost jobcast's data. */
    instanceMarker: () => `${prefix}:instance`,
    /** One job id's current incarnation: its route, last status and last ingested event. */
    job: (queue: string, jobId: string) => `${queueBase(queue)}:job:${jobId}`,
    /** Routes recorded for the next jobs added with this id, by the stream position they were recorded at. */
    routeVersions: (queue: string, jobId: string) => `${queueBase(queue)}:routes:${jobId}`,
    /** Job ids with a route recorded and not yet taken by an `added` event: what a reconciliation after a trimmed stream looks for. */
    queuePendingRoutes: (queue: string) => `${queueBase(queue)}:pending`,
    /** The route of every job a job scheduler adds (`repeat:<schedulerId>:<millis>`). */
    schedulerRoute: (queue: string, schedulerId: string) => `${queueBase(queue)}:scheduler:${schedulerId}`,
    /** Held while enqueue records a custom job id's route and adds it, so two adds of one id never cross. */
    enqueueLock: (queue: string, jobId: string) => `${queueBase(queue)}:lock:${jobId}`,
    /** A user's revoked access to a room (`*`: every room); tagged by user, so both are read in one MGET. */
    revoked: (userKey: string, room: string) => `${prefix}:revoked:{${userKey}}:${room}`,
    /** Results of a job's completed steps, so a retry can skip them (worker helpers' checkpointing). */
    checkpoint: (queue: string, jobId: string) => `${prefix}:ckpt:${queue}:${jobId}`,
  };
}
export type Keys = ReturnType<typeof createKeys>;

/**
 * The part of `key` Redis Cluster hashes, when it names one: what sits between its first `{`
 * and the first `}` after it, if not empty (Redis's own rule).
 */
export function hashTagOf(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

/** A job's key inside a room: job ids are only unique within a queue (shared/identity.ts). */
export { jobKeyOf } from '../../shared/index.js';
