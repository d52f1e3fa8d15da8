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
    /** The last events-stream id ingested for a queue, shared by all nodes: where a restarted reader resumes. */
    queueCursor: (queue: string) => `${prefix}:q:${queue}:last`,
    /** What recent events became (rooms and cursors), so lagging nodes emit the same seq as the first. */
    queueResults: (queue: string) => `${prefix}:q:${queue}:results`,
    queueResultIds: (queue: string) => `${prefix}:q:${queue}:resultids`,
    /** Jobs of a queue whose last public state was not terminal: what reconciliation checks. */
    queueOpenJobs: (queue: string) => `${prefix}:q:${queue}:open`,
    /** Written once; its disappearance means Redis lost jobcast's data. */
    instanceMarker: () => `${prefix}:instance`,
    /** What was published per job (highest attempt, reconciliation watermark): nothing goes back on screen. */
    jobVersion: (queue: string, jobId: string) => `${prefix}:q:${queue}:v:${jobId}`,
    /** A user's revoked access to a room (`*`: every room). */
    revoked: (userKey: string, room: string) => `${prefix}:revoked:${userKey}:${room}`,
    /** Results of a job's completed steps, so a retry can skip them (worker helpers' checkpointing). */
    checkpoint: (queue: string, jobId: string) => `${prefix}:ckpt:${queue}:${jobId}`,
    route: (queue: string, jobId: string) => `${prefix}:route:${queue}:${jobId}`,
    reconcileMark: (queue: string, jobId: string, fingerprint: string) => `${prefix}:rec:${queue}:${jobId}:${fingerprint}`,
  };
}
export type Keys = ReturnType<typeof createKeys>;

/** A job's key inside a room: job ids are only unique within a queue. */
export const roomJobKey = (queue: string, jobId: string) => `${queue}/${jobId}`;
