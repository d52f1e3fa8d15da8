import { createHash } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { bearerToken } from '../auth.js';
import { JobcastError } from '../errors.js';
import { sendError } from '../httpErrors.js';
import { type HttpLimits, TokenBucket } from '../limits.js';
import type { Logger } from '../options.js';

/** Clients remembered per kind of key; past it the least recently seen is forgotten (it starts again with a full bucket). */
const MAX_TRACKED_CLIENTS = 10_000;

/** Token buckets by key, least recently used first, bounded. */
class BucketTable {
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {}

  /** The bucket of `key`, moved to the most recently used end. */
  get(key: string): TokenBucket {
    const bucket = this.#buckets.get(key) ?? new TokenBucket(this.ratePerSecond, this.burst);
    this.#buckets.delete(key);
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > MAX_TRACKED_CLIENTS) this.#buckets.delete(this.#buckets.keys().next().value as string);
    return bucket;
  }
}

/** The token as a short digest: the table neither keeps credentials nor grows with their length. */
const tokenKey = (token: string) => createHash('sha256').update(token).digest('base64url').slice(0, 22);

/** The client's address: express's `request.ip`, which follows the app's `trust proxy` setting. */
const addressOf = (request: Request) => request.ip ?? request.socket.remoteAddress ?? 'unknown';

/**
 * Express middleware that limits the routes reading Redis per bearer token and per client
 * address, before `authenticate` runs (so a flood of made-up tokens costs no lookup either).
 * A refused request gets 429 `{ error: { code: 'RATE_LIMITED', message } }` and `Retry-After`.
 */
export function createHttpRateLimit(limits: HttpLimits, logger: Logger, onLimited?: () => void): RequestHandler {
  const byToken = new BucketTable(limits.snapshotRate, limits.snapshotBurst);
  const byAddress = new BucketTable(limits.snapshotAddressRate, limits.snapshotAddressBurst);
  return (request, response, next) => {
    const now = Date.now();
    const address = addressOf(request);
    const token = bearerToken(request.headers);
    // Both buckets are checked before either is drawn from, so a refusal costs the client nothing.
    const buckets = [byAddress.get(address), ...(token === undefined ? [] : [byToken.get(tokenKey(token))])];
    const waitMs = Math.max(...buckets.map((bucket) => bucket.waitMs(now)));
    if (waitMs === 0) {
      for (const bucket of buckets) bucket.take(now);
      return next();
    }
    onLimited?.();
    logger.debug({ address, path: request.path }, 'HTTP request rate-limited');
    response.setHeader('Retry-After', String(Math.max(1, Math.ceil(waitMs / 1_000))));
    sendError(response, new JobcastError('RATE_LIMITED', `Too many requests; retry in ${Math.ceil(waitMs / 1_000)} s.`), logger);
  };
}
