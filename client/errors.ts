import { ERROR_MESSAGES } from '../shared/errorCodes.js';
import { MAX_ROOM_REQUEST_LENGTH } from '../shared/protocol.js';
import type { ErrorCode, WireError } from '../shared/index.js';

/**
 * A failure the client reports: a stable `code` to branch on, a human `message` and,
 * where the server gave one, a `hint` on how to fix it.
 */
export class JobcastClientError extends Error {
  /** Stable code from the shared table; never renamed, so safe to branch on. */
  readonly code: ErrorCode;
  /** What to do about it, when the server knows (for example the nearest valid room). */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string = ERROR_MESSAGES[code], options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'JobcastClientError';
    this.code = code;
    this.hint = options?.hint;
  }

  /** Wraps an error that crossed the wire (an ack's `error` or a `connect_error`'s `data`). */
  static from(wire: WireError): JobcastClientError {
    return new JobcastClientError(wire.code, wire.message, wire.hint === undefined ? undefined : { hint: wire.hint });
  }

  /** The wire shape of this error, as stores and the event log keep it. */
  toWire(): WireError {
    return this.hint === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, hint: this.hint };
  }
}

/** True when `value` is a {@link JobcastClientError}. */
export const isJobcastClientError = (value: unknown): value is JobcastClientError =>
  value instanceof JobcastClientError;

/** Turns anything thrown into one line of text for the log. */
export const toErrorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * True when a room name can be sent to the server at all: a non-empty string within the wire
 * limit. The grammar is the server's to judge, so its near-miss hint reaches the page.
 */
export const isSendableRoomName = (room: unknown): room is string =>
  typeof room === 'string' && room.length > 0 && room.length <= MAX_ROOM_REQUEST_LENGTH;

/** The error a room name that cannot be sent gets locally, without asking the server. */
export const unsendableRoomError = (room: unknown): WireError => ({
  code: 'INVALID_ROOM',
  message:
    typeof room === 'string' && room.length > 0
      ? `The room name is ${room.length} characters long; at most ${MAX_ROOM_REQUEST_LENGTH} can be sent.`
      : 'A room name must be a non-empty string.',
  hint: 'A room looks like "type:id": segments of letters, digits and _ . @ ~ - joined by ":".',
});

/** True when `value` is one of the shared error codes. */
export const isErrorCode = (value: unknown): value is ErrorCode => typeof value === 'string' && Object.hasOwn(ERROR_MESSAGES, value);

/**
 * The server's refusal carried by a `connect_error`, or undefined for a network failure worth
 * retrying. Two shapes reach the client: a Socket.IO middleware refusal (`err.data` is
 * `{ code, message, hint? }`), and an Engine.IO handshake refused before any socket exists
 * (`allowRequest`: HTTP 403 with the JSON body `{ code: 4, message: "ORIGIN_NOT_ALLOWED" }`, which
 * the long-polling transport hands over as `err.description` 403 and `err.context.responseText`).
 * A refused WebSocket upgrade carries nothing readable, so only polling can tell the two apart.
 * Call it inside the `connect_error` listener: the transport aborts the request right after,
 * which empties `responseText`.
 */
export function refusalOfConnectError(error: unknown): WireError | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const { data, description, context } = error as { data?: unknown; description?: unknown; context?: unknown };
  if (data !== null && typeof data === 'object') {
    const { code, message, hint } = data as Record<string, unknown>;
    if (isErrorCode(code) && typeof message === 'string') {
      return typeof hint === 'string' ? { code, message, hint } : { code, message };
    }
  }
  const body = description === 403 && context !== null && typeof context === 'object' ? (context as { responseText?: unknown }).responseText : undefined;
  if (typeof body !== 'string' || body.length > 1_000) return undefined;
  try {
    const { message } = JSON.parse(body) as { message?: unknown };
    return isErrorCode(message) ? { code: message, message: ERROR_MESSAGES[message] } : undefined;
  } catch {
    return undefined;
  }
}
