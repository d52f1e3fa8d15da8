import * as z from 'zod/mini';

/**
 * Stable error codes. Add new ones freely; never rename or reuse one: clients
 * branch on them.
 */
export const ErrorCodeSchema = z.enum([
  'UNAUTHENTICATED',
  'TOKEN_EXPIRED',
  'FORBIDDEN',
  'INVALID_ROOM',
  'BAD_REQUEST',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'TOO_MANY_SUBSCRIPTIONS',
  'NOT_SUBSCRIBED',
  'UNSUPPORTED_PROTOCOL',
  'ORIGIN_NOT_ALLOWED',
  'REVOKED',
  'SLOW_CONSUMER',
  'UNAVAILABLE',
  'TIMEOUT',
  'INTERNAL',
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

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

/** What crosses the wire for any failure: a code, a safe message and, where useful, a hint. */
export const WireErrorSchema = z.object({
  code: ErrorCodeSchema,
  message: z.string().check(z.maxLength(1_000)),
  hint: z.optional(z.string().check(z.maxLength(1_000))),
});
export type WireError = z.infer<typeof WireErrorSchema>;
