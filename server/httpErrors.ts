import type { ErrorRequestHandler, Response } from 'express';
import { toJobcastError, toWireError } from './errors.js';
import type { Logger } from './options.js';

/** HTTP status for each error code a route can answer with. */
const STATUS_BY_CODE: Record<string, number> = {
  UNAUTHENTICATED: 401,
  TOKEN_EXPIRED: 401,
  FORBIDDEN: 403,
  REVOKED: 403,
  INVALID_ROOM: 404,
  BAD_REQUEST: 400,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
};

/** Answers `{ error: { code, message, hint? } }` with the status that fits the code; never a stack. */
export function sendError(response: Response, cause: unknown, logger: Logger): void {
  const error = toJobcastError(cause);
  if (error.code === 'INTERNAL') logger.error({ err: cause }, 'HTTP route failed');
  response.status(STATUS_BY_CODE[error.code] ?? 500).json({ error: toWireError(error) });
}

/**
 * The router's last handler: whatever a route or express itself throws (a malformed `%ZZ` in
 * a path, a body it cannot parse) answers JSON `{ error: { code, message } }`, never express's
 * HTML page with a stack and server paths.
 */
export function jsonErrors(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _request, response, next) => {
    if (response.headersSent) return next(error);
    const status = (error as { status?: unknown; statusCode?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      response.status(status).json({ error: { code: 'BAD_REQUEST', message: 'The request could not be read.' } });
      return;
    }
    sendError(response, error, logger);
  };
}
