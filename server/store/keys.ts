/**
 * Every Redis key jobcast writes, in one place. Room keys share the room name so one
 * room's cursor, history and snapshot can be inspected (and expire) together.
 */
export function createKeys(prefix: string) {
  return {
    roomMeta: (room: string) => `${prefix}:room:${room}:meta`,
    roomHistory: (room: string) => `${prefix}:room:${room}:hist`,
    roomJobs: (room: string) => `${prefix}:room:${room}:jobs`,
    roomJobIndex: (room: string) => `${prefix}:room:${room}:jobidx`,
    /** The last events-stream id ingested for a queue: where the next ingesting node resumes. */
    queueCursor: (queue: string) => `${prefix}:q:${queue}:last`,
    /** Which node ingests a queue's events now (a lease with a token, renewed while it lives). */
    queueLease: (queue: string) => `${prefix}:q:${queue}:lease`,
    /** Jobs of a queue whose last public state was not terminal: what the reconciler checks. */
    queueOpenJobs: (queue: string) => `${prefix}:q:${queue}:open`,
    /** Jobs a subscriber saw unfinished, for the ingesting node to check against BullMQ. */
    queueChecks: (queue: string) => `${prefix}:q:${queue}:check`,
    /** Written once; its disappearance means Redis lost jobcast's data. */
    instanceMarker: () => `${prefix}:instance`,
    /** One job id's current incarnation: its route, last status and last ingested event. */
    job: (queue: string, jobId: string) => `${prefix}:q:${queue}:job:${jobId}`,
    /** Routes recorded for the next jobs added with this id, by the stream position they were recorded at. */
    routeVersions: (queue: string, jobId: string) => `${prefix}:q:${queue}:routes:${jobId}`,
    /** Job ids with a route recorded and not yet taken by an `added` event: what a reconciliation after a trimmed stream looks for. */
    queuePendingRoutes: (queue: string) => `${prefix}:q:${queue}:pending`,
    /** The route of every job a job scheduler adds (`repeat:<schedulerId>:<millis>`). */
    schedulerRoute: (queue: string, schedulerId: string) => `${prefix}:q:${queue}:scheduler:${schedulerId}`,
    /** Held while enqueue records a custom job id's route and adds it, so two adds of one id never cross. */
    enqueueLock: (queue: string, jobId: string) => `${prefix}:q:${queue}:lock:${jobId}`,
    /** A user's revoked access to a room (`*`: every room). */
    revoked: (userKey: string, room: string) => `${prefix}:revoked:${userKey}:${room}`,
    /** Results of a job's completed steps, so a retry can skip them (worker helpers' checkpointing). */
    checkpoint: (queue: string, jobId: string) => `${prefix}:ckpt:${queue}:${jobId}`,
  };
}
export type Keys = ReturnType<typeof createKeys>;

/** A job's key inside a room: job ids are only unique within a queue (shared/identity.ts). */
export { jobKeyOf } from '../../shared/index.js';
