import * as z from 'zod/mini';
import { WireErrorSchema } from './errors.js';
import { ROOM_MAX_LENGTH, isValidRoomName } from './rooms.js';

/** A room name that follows the grammar in rooms.ts. */
export const RoomNameSchema = z
  .string()
  .check(z.maxLength(ROOM_MAX_LENGTH), z.refine(isValidRoomName, { message: 'room must look like "type:id" (letters, digits, _ . @ ~ -)' }));

/** Where a job is in its life, as a page should show it. */
export const JobStateSchema = z.enum([
  'waiting',
  'waiting-children',
  'delayed',
  'active',
  'stalled',
  'completed',
  'failed',
  'removed',
  'deduplicated',
  /** The job's record is gone from Redis and no terminal event was seen: shown as lost, never as "active" forever. */
  'unknown',
]);
export type JobState = z.infer<typeof JobStateSchema>;

/** The BullMQ lifecycle event (or jobcast's own reconciliation) that produced a status. */
export const LifecycleEventSchema = z.enum([
  'added',
  'waiting',
  'waiting-children',
  'active',
  'progress',
  'delayed',
  'retrying',
  'stalled',
  'completed',
  'failed',
  'retries-exhausted',
  'removed',
  'deduplicated',
  'reconciled',
  /** The server's watch of the queue's workers changed the job's warnings (a worker appeared, left or died). */
  'warned',
]);
export type LifecycleEvent = z.infer<typeof LifecycleEventSchema>;

export const JobProgressSchema = z.union([z.number(), z.record(z.string(), z.unknown())]);

/** The step a job is in, set by the worker helpers. */
export const JobStepSchema = z.object({
  name: z.string().check(z.maxLength(200)),
  status: z.enum(['started', 'completed', 'failed', 'skipped']),
  index: z.optional(z.int().check(z.nonnegative())),
  total: z.optional(z.int().check(z.positive())),
  startedAt: z.optional(z.number()),
  durationMs: z.optional(z.number().check(z.nonnegative())),
  /** The attempt the step ran in. */
  attempt: z.optional(z.int().check(z.positive())),
});
export type JobStep = z.infer<typeof JobStepSchema>;

/**
 * Something about a job a developer should know, found by the server's continuous watch of
 * each queue's workers: `NO_WORKER` (no worker will take the waiting job: nothing listens on
 * the queue, the queue is paused, or its workers take no jobs; the message says which), `WORKER_LOST` (the worker running it is gone or stopped renewing its lock:
 * BullMQ's stalled check will retry or fail it around `until`), `STALE_WORKER` (a worker on
 * other code ran it).
 */
export const JobWarningSchema = z.object({
  code: z.enum(['STALE_WORKER', 'NO_WORKER', 'WORKER_LOST']),
  message: z.string().check(z.maxLength(500)),
  /** For WORKER_LOST: when the job's lock runs out (epoch ms), after which BullMQ calls it stalled. */
  until: z.optional(z.number()),
});
export type JobWarning = z.infer<typeof JobWarningSchema>;

/** A failure as a browser may see it: a code and a safe message, never a stack or raw reason. */
export const PublicFailureSchema = z.object({
  code: z.string().check(z.maxLength(100)),
  message: z.string().check(z.maxLength(1_000)),
  step: z.optional(z.string().check(z.maxLength(200))),
  lastCompletedStep: z.optional(z.string().check(z.maxLength(200))),
});
export type PublicFailure = z.infer<typeof PublicFailureSchema>;

/** The worker process that ran a job. */
export const WorkerIdentitySchema = z.object({
  host: z.string().check(z.maxLength(256)),
  pid: z.int(),
  version: z.optional(z.string().check(z.maxLength(100))),
});
export type WorkerIdentity = z.infer<typeof WorkerIdentitySchema>;

/**
 * The public status of one job: an allowlist. Nothing from `job.data`, the return
 * value or the failure reason appears here unless the queue's `project` put it in `data`.
 */
export const JobStatusSchema = z.object({
  jobId: z.string().check(z.maxLength(256)),
  queue: z.string().check(z.maxLength(256)),
  /**
   * Which job that had this id: BullMQ ids are unique per queue only while the job exists
   * (custom ids are reused, ids restart after `obliterate` or lost Redis data). A job is
   * (queue, jobId, incarnation); a status of another incarnation is another job.
   */
  incarnation: z.string().check(z.minLength(1), z.maxLength(64)),
  name: z.optional(z.string().check(z.maxLength(256))),
  state: JobStateSchema,
  progress: z.optional(JobProgressSchema),
  /** The step running now (or the last one), set by the worker helpers. */
  step: z.optional(JobStepSchema),
  /** Every step boundary so far, oldest first: survives progress coalescing. */
  steps: z.optional(z.array(JobStepSchema).check(z.maxLength(100))),
  /**
   * The attempt this status is about, from 1: BullMQ's `attemptsMade + 1` while the job has not
   * finished, `attemptsMade` once it has. Only a failure that BullMQ retries starts a new
   * attempt; rate limits, stalls and `moveToDelayed` do not.
   */
  attempt: z.int().check(z.positive()),
  /**
   * Set when `attempt` was counted from events alone: the job's record was gone when its move
   * out of `active` was read, and BullMQ writes the same event for a retry as for
   * `moveToDelayed` or a rate limit, so the count may be one too high.
   */
  attemptInferred: z.optional(z.boolean()),
  maxAttempts: z.int().check(z.positive()),
  /** On a failed attempt: whether BullMQ will run it again. */
  willRetry: z.optional(z.boolean()),
  /** When the next attempt is due (epoch ms), for a job waiting out a retry backoff. */
  nextAttemptAt: z.optional(z.number()),
  failure: z.optional(PublicFailureSchema),
  /** For a deduplicated job: the job that already exists and will do the work. */
  deduplicatedBy: z.optional(z.string().check(z.maxLength(256))),
  /** What the queue's `project` function made public (for example the finished summary). */
  data: z.optional(z.record(z.string(), z.unknown())),
  correlationId: z.optional(z.string().check(z.maxLength(200))),
  traceId: z.optional(z.string().check(z.maxLength(64))),
  worker: z.optional(WorkerIdentitySchema),
  warnings: z.optional(z.array(JobWarningSchema).check(z.maxLength(10))),
  enqueuedAt: z.optional(z.number()),
  startedAt: z.optional(z.number()),
  finishedAt: z.optional(z.number()),
  /** When the server produced this status (epoch ms). */
  updatedAt: z.number(),
});
export type JobStatus = z.infer<typeof JobStatusSchema>;

/**
 * Why a `reconciled` status was read from BullMQ's state rather than built from an event:
 * `stream-trimmed` and `redis-reconnected` mean events may have been skipped (intermediate
 * states were not seen: count it as a gap); `vanished`: the job's record disappeared without
 * a terminal event (`drain`, `obliterate`, `clean`); `checked`: a subscriber or an operator asked.
 */
export const ReconcileReasonSchema = z.enum(['stream-trimmed', 'redis-reconnected', 'vanished', 'checked']);
export type ReconcileReason = z.infer<typeof ReconcileReasonSchema>;

/**
 * One status update pushed to a room. `seq` is the room's cursor: assigned once per
 * event across all server nodes, strictly increasing within an `epoch`.
 */
export const StatusEventSchema = z.object({
  room: RoomNameSchema,
  epoch: z.string().check(z.minLength(1), z.maxLength(64)),
  seq: z.int().check(z.positive()),
  event: LifecycleEventSchema,
  status: JobStatusSchema,
  /** When the server ingested the event (epoch ms): lets a client measure delivery latency. */
  at: z.number(),
  /** On a `reconciled` event: why. */
  reason: z.optional(ReconcileReasonSchema),
});
export type StatusEvent = z.infer<typeof StatusEventSchema>;

/** Where a client left off in a room: both fields, because cursors of two epochs cannot be compared. */
export const CursorSchema = z.object({
  epoch: z.string().check(z.minLength(1), z.maxLength(64)),
  seq: z.int().check(z.nonnegative()),
});
export type Cursor = z.infer<typeof CursorSchema>;

export const SubscribeRequestSchema = z.object({
  room: z.string().check(z.maxLength(1_024)),
  /** Present on a resubscribe: the server replays what came after it, or answers with a resync. */
  since: z.optional(CursorSchema),
});
export type SubscribeRequest = z.infer<typeof SubscribeRequestSchema>;

/** Why the server answered a resubscribe with a fresh snapshot instead of a replay. */
export const ResyncReasonSchema = z.enum(['epoch-changed', 'history-exceeded']);
export type ResyncReason = z.infer<typeof ResyncReasonSchema>;

export const SubscribeOkSchema = z.object({
  ok: z.literal(true),
  room: RoomNameSchema,
  epoch: z.string(),
  /** The room's cursor when the answer was read; live events at or below it are already included. */
  seq: z.int().check(z.nonnegative()),
  /** 'snapshot': `jobs` holds the latest event of each job. 'replay': `events` holds what came after `since`. */
  mode: z.enum(['snapshot', 'replay']),
  jobs: z.array(StatusEventSchema),
  events: z.array(StatusEventSchema),
  /** Set when the client sent `since` but the gap could not be replayed. */
  resync: z.optional(ResyncReasonSchema),
});
export type SubscribeOk = z.infer<typeof SubscribeOkSchema>;

export const ErrorAckSchema = z.object({ ok: z.literal(false), error: WireErrorSchema });
export type ErrorAck = z.infer<typeof ErrorAckSchema>;

export const SubscribeAckSchema = z.discriminatedUnion('ok', [SubscribeOkSchema, ErrorAckSchema]);
export type SubscribeAck = z.infer<typeof SubscribeAckSchema>;

export const UnsubscribeRequestSchema = z.object({ room: z.string().check(z.maxLength(1_024)) });
export type UnsubscribeRequest = z.infer<typeof UnsubscribeRequestSchema>;
export const UnsubscribeAckSchema = z.discriminatedUnion('ok', [z.object({ ok: z.literal(true) }), ErrorAckSchema]);
export type UnsubscribeAck = z.infer<typeof UnsubscribeAckSchema>;

/** Ask for the events of a room in (`after`, `to`]: how a client fills a gap it saw while connected. */
export const ReplayRequestSchema = z.object({
  room: z.string().check(z.maxLength(1_024)),
  epoch: z.string().check(z.minLength(1), z.maxLength(64)),
  after: z.int().check(z.nonnegative()),
  to: z.int().check(z.positive()),
});
export type ReplayRequest = z.infer<typeof ReplayRequestSchema>;
export const ReplayAckSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), complete: z.boolean(), events: z.array(StatusEventSchema) }),
  ErrorAckSchema,
]);
export type ReplayAck = z.infer<typeof ReplayAckSchema>;

/** A new access token for a live connection, sent before the current one expires. */
export const RefreshRequestSchema = z.object({ token: z.string().check(z.minLength(1), z.maxLength(8_192)) });
export type RefreshRequest = z.infer<typeof RefreshRequestSchema>;
export const RefreshAckSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), expiresAt: z.optional(z.number()) }),
  ErrorAckSchema,
]);
export type RefreshAck = z.infer<typeof RefreshAckSchema>;

/** How far back a client can be away and still be replayed instead of resynced. */
export const RecoveryWindowSchema = z.object({
  historySize: z.int().check(z.nonnegative()),
  historyTtlMs: z.int().check(z.nonnegative()),
});
export type RecoveryWindow = z.infer<typeof RecoveryWindowSchema>;

/** Sent by the server right after a connection is accepted. */
export const HelloSchema = z.object({
  protocol: z.int(),
  nodeId: z.string(),
  window: RecoveryWindowSchema,
  /** When this connection's credentials expire (epoch ms), if they do: refresh before then. */
  expiresAt: z.optional(z.number()),
});
export type Hello = z.infer<typeof HelloSchema>;

/**
 * Sent when the server knows a room's cursor may have moved without this socket seeing it
 * (Redis lost its data, the socket was too slow): the client resubscribes with its cursor.
 */
export const ResyncNoticeSchema = z.object({ room: RoomNameSchema, reason: z.string().check(z.maxLength(200)) });
export type ResyncNotice = z.infer<typeof ResyncNoticeSchema>;

/** Sent when the server removes a socket from a room it may no longer see. */
export const RevokedSchema = z.object({ room: RoomNameSchema, code: z.string(), message: z.string() });
export type Revoked = z.infer<typeof RevokedSchema>;
