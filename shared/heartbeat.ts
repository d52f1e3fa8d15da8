import * as z from 'zod/mini';
import { HEARTBEAT_MAX_ROOMS } from './protocol.js';
import { ErrorAckSchema } from './schemas.js';

/**
 * The application-level heartbeat. While connected, the client sends one every few seconds
 * with the cursor of each room it is subscribed to; the server answers at once with each
 * room's current cursor. No answer in time means a dead or sleeping connection (found in
 * seconds, where Socket.IO's own ping takes up to 45 s); a room whose server cursor is ahead
 * of the client's missed events, which the client then replays.
 */

/** One room in a heartbeat: where the client is. `epoch` is absent before the first subscribe answer. */
export const HeartbeatRoomSchema = z.object({
  room: z.string().check(z.maxLength(1_024)),
  epoch: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  seq: z.int().check(z.nonnegative()),
});
export type HeartbeatRoom = z.infer<typeof HeartbeatRoomSchema>;

/** Sent by the client while connected (`conn:heartbeat`). */
export const HeartbeatRequestSchema = z.object({
  rooms: z.array(HeartbeatRoomSchema).check(z.maxLength(HEARTBEAT_MAX_ROOMS)),
});
export type HeartbeatRequest = z.infer<typeof HeartbeatRequestSchema>;

/**
 * One room in the answer: whether this connection is subscribed to it on the server and, if
 * it is, the room's cursor there (no `epoch` when the room has no data any more: it expired or
 * Redis lost it). Cursors of rooms the connection is not subscribed to are never told.
 */
export const HeartbeatRoomStateSchema = z.object({
  room: z.string().check(z.maxLength(1_024)),
  subscribed: z.boolean(),
  epoch: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  seq: z.optional(z.int().check(z.nonnegative())),
});
export type HeartbeatRoomState = z.infer<typeof HeartbeatRoomStateSchema>;

/** The server's answer. `rooms` is empty when the store could not be read in time: the answer still proves the connection alive. */
export const HeartbeatAckSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    /** The server's clock when it answered (epoch ms). */
    at: z.number(),
    rooms: z.array(HeartbeatRoomStateSchema).check(z.maxLength(HEARTBEAT_MAX_ROOMS)),
  }),
  ErrorAckSchema,
]);
export type HeartbeatAck = z.infer<typeof HeartbeatAckSchema>;
