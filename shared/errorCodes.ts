import type { ErrorCode } from './errors.js';

/*
 * The error-code tables, without zod: the browser client imports this file directly, so its
 * bundle carries the tables but not zod (the codes themselves are ErrorCodeSchema, in errors.ts).
 */

/** Default human text for each code; servers may send a more specific message. */
export const ERROR_MESSAGES = {
  UNAUTHENTICATED: 'Authentication failed.',
  TOKEN_EXPIRED: 'The access token has expired.',
  FORBIDDEN: 'You are not allowed to subscribe to this room.',
  INVALID_ROOM: 'This room name matches no channel pattern on the server.',
  BAD_REQUEST: 'The message does not match the protocol.',
  PAYLOAD_TOO_LARGE: 'The message is too large.',
  RATE_LIMITED: 'Too many requests; slow down.',
  TOO_MANY_SUBSCRIPTIONS: 'This connection has too many subscriptions.',
  NOT_SUBSCRIBED: 'This connection is not subscribed to that room.',
  UNSUPPORTED_PROTOCOL: 'The client speaks a protocol version this server does not support.',
  ORIGIN_NOT_ALLOWED: 'This page origin is not allowed to connect.',
  REVOKED: 'Access to this room was revoked.',
  SLOW_CONSUMER: 'The connection could not keep up and was reset.',
  UNAVAILABLE: 'The server cannot reach its store right now; try again.',
  TIMEOUT: 'The server did not answer in time.',
  INTERNAL: 'Internal server error.',
} as const satisfies Record<ErrorCode, string>;

/** Codes after which retrying the same request later can succeed. */
export const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'RATE_LIMITED',
  'UNAVAILABLE',
  'TIMEOUT',
  'INTERNAL',
  'SLOW_CONSUMER',
]);
