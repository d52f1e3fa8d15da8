import { RETRYABLE_CODES } from '../shared/errorCodes.js';
import type { StatusEvent, SubscribeOk, WireError } from '../shared/index.js';
import { toErrorMessage } from './errors.js';
import type { RoomHost } from './types.js';
import { ReplayAckSchema, SubscribeAckSchema, UnsubscribeAckSchema } from './wireSchemas.js';

/** What a subscribe answer means for the room: parsed with its wire schema, never trusted. */
export type SubscribeAnswer =
  | { readonly kind: 'ok'; readonly ack: SubscribeOk }
  | { readonly kind: 'refused'; readonly error: WireError; readonly retryable: boolean }
  | { readonly kind: 'malformed'; readonly detail: string };

/** Reads a raw subscribe answer for `room`. */
export function readSubscribeAnswer(raw: unknown, room: string): SubscribeAnswer {
  const parsed = SubscribeAckSchema.safeParse(raw);
  if (!parsed.success) return { kind: 'malformed', detail: parsed.error.message.slice(0, 500) };
  const ack = parsed.data;
  if (!ack.ok) return { kind: 'refused', error: ack.error, retryable: RETRYABLE_CODES.has(ack.error.code) };
  return ack.room === room ? { kind: 'ok', ack } : { kind: 'malformed', detail: 'answer for another room' };
}

/** What a replay answer means: the events, or why the room must resync instead. */
export type ReplayAnswer =
  | { readonly kind: 'events'; readonly events: readonly StatusEvent[] }
  | { readonly kind: 'resync'; readonly reason: string; readonly malformed?: string };

/** Reads a raw replay answer. */
export function readReplayAnswer(raw: unknown): ReplayAnswer {
  const parsed = ReplayAckSchema.safeParse(raw);
  if (!parsed.success) return { kind: 'resync', reason: 'replay ack malformed', malformed: parsed.error.message.slice(0, 500) };
  if (!parsed.data.ok) return { kind: 'resync', reason: `replay refused: ${parsed.data.error.code}` };
  if (!parsed.data.complete) return { kind: 'resync', reason: 'history-exceeded' };
  return { kind: 'events', events: parsed.data.events };
}

/** Tells the server to stop sending a room's events; a refusal or silence is logged, nothing else depends on it. */
export function sendUnsubscribe(host: RoomHost, room: string): void {
  if (!host.isConnected()) return;
  host.unsubscribe({ room }).then(
    (raw) => {
      const ack = UnsubscribeAckSchema.safeParse(raw);
      if (!ack.success || !ack.data.ok) host.log({ kind: 'unsubscribe', room, ...(ack.data?.ok === false ? ack.data.error : {}), detail: 'refused' });
    },
    (error: unknown) => host.log({ kind: 'unsubscribe', room, message: toErrorMessage(error), detail: 'no answer' }),
  );
}
