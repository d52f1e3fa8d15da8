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

/** What crosses the wire for any failure: a code, a safe message and, where useful, a hint. */
export const WireErrorSchema = z.object({
  code: ErrorCodeSchema,
  message: z.string().check(z.maxLength(1_000)),
  hint: z.optional(z.string().check(z.maxLength(1_000))),
});
export type WireError = z.infer<typeof WireErrorSchema>;
