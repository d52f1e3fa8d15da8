import { ERROR_MESSAGES, type ErrorCode, type WireError } from '../shared/index.js';

/** An error with a stable code that may be shown to a client as `{ code, message, hint }`. */
export class JobcastError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string = ERROR_MESSAGES[code], options?: { cause?: unknown; hint?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'JobcastError';
    this.code = code;
    this.hint = options?.hint;
  }
}

/** Turns anything thrown into a JobcastError; unknown failures become INTERNAL (the cause is kept for logs only). */
export const toJobcastError = (cause: unknown): JobcastError =>
  cause instanceof JobcastError ? cause : new JobcastError('INTERNAL', ERROR_MESSAGES.INTERNAL, { cause });

/** The only shape of an error that crosses the wire: no stack, no cause. */
export function toWireError(cause: unknown): WireError {
  const error = toJobcastError(cause);
  return error.hint === undefined
    ? { code: error.code, message: error.message }
    : { code: error.code, message: error.message, hint: error.hint };
}
