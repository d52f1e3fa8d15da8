import * as z from 'zod/mini';
import { StatusEventSchema } from './schemas.js';

/** A subscription the server refused, with the rule that refused it. */
export const RejectionSchema = z.object({
  at: z.number(),
  room: z.string(),
  code: z.string(),
  message: z.string(),
  /** The channel pattern whose rule denied it, when one matched. */
  pattern: z.optional(z.string()),
  hint: z.optional(z.string()),
});
export type Rejection = z.infer<typeof RejectionSchema>;

/** What the server pushed to one room, summed over every node that answered. */
export const RoomBroadcastStatsSchema = z.object({
  room: z.string(),
  /** Events emitted to the room. */
  broadcasts: z.int().check(z.nonnegative()),
  /** Deliveries: one per socket in the room at the time of each emit. */
  delivered: z.int().check(z.nonnegative()),
  /** Events emitted while nobody was subscribed ("unheard broadcasts"). */
  unheard: z.int().check(z.nonnegative()),
  lastBroadcastAt: z.optional(z.number()),
  lastSeq: z.optional(z.int().check(z.nonnegative())),
  /** Sockets subscribed right now. */
  subscribers: z.int().check(z.nonnegative()),
});
export type RoomBroadcastStats = z.infer<typeof RoomBroadcastStatsSchema>;

/** A room that gets events nobody hears, next to a similar room somebody listens to (or tried to). */
export const NearMissSchema = z.object({
  /** Where the events go. */
  eventsRoom: z.string(),
  /** Where a client listens, or tried to. */
  subscribedRoom: z.string(),
  reason: z.string(),
});
export type NearMiss = z.infer<typeof NearMissSchema>;

/** `GET /debug/rooms/:room`: everything the server knows about one room. */
/**
 * One job as an operator sees it, for sessions with debug access only: BullMQ's own view,
 * the full failure text included (never sent to pages without `canDebug`).
 */
export const JobDebugDetailSchema = z.object({
  queue: z.string(),
  jobId: z.string(),
  /** BullMQ's `getState()`: `unknown` once the job's record is gone. */
  state: z.string(),
  attemptsMade: z.optional(z.int()),
  /** From the job's record; once the record is gone, from its last `failed` event if the events stream still holds it. */
  failedReason: z.optional(z.string()),
  /** The last stack trace BullMQ kept. */
  stacktrace: z.optional(z.string()),
});
export type JobDebugDetail = z.infer<typeof JobDebugDetailSchema>;

export const RoomDebugReportSchema = z.object({
  room: z.string(),
  nodes: z.array(z.string()),
  epoch: z.string(),
  seq: z.int().check(z.nonnegative()),
  stats: RoomBroadcastStatsSchema,
  /** The room's latest events, from its history; with `?job=`, every event of that job the history holds too. */
  recent: z.array(StatusEventSchema),
  rejections: z.array(RejectionSchema),
  nearMisses: z.array(NearMissSchema),
  /** With `?job=<jobId>` (and `&queue=`): the job as BullMQ has it, failure text included. */
  job: z.optional(JobDebugDetailSchema),
});
export type RoomDebugReport = z.infer<typeof RoomDebugReportSchema>;

/** `GET /debug`: the whole server at a glance. */
export const ServerDebugReportSchema = z.object({
  nodes: z.array(z.string()),
  rooms: z.array(RoomBroadcastStatsSchema),
  rejections: z.array(RejectionSchema),
  unheard: z.array(RoomBroadcastStatsSchema),
  nearMisses: z.array(NearMissSchema),
  /** Job events that named no room, so went nowhere. */
  unrouted: z.array(z.object({ at: z.number(), queue: z.string(), jobId: z.string(), event: z.string() })),
});
export type ServerDebugReport = z.infer<typeof ServerDebugReportSchema>;
