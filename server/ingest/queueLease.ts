import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

type LeaseRedis = Redis & {
  jobcastRenewLease(key: string, token: string, ttlMs: number): Promise<number>;
  jobcastReleaseLease(key: string, token: string): Promise<number>;
};

/**
 * The right to ingest one queue's events: one node at a time per deployment, so each event
 * is ingested once in stream order. Every write of the ingest checks the token in the same
 * script (a fencing token), so a node that paused past its lease cannot write after another
 * node took over. A node that dies loses it when the TTL runs out.
 */
export class QueueLease {
  readonly #redis: LeaseRedis;
  readonly #key: string;
  readonly #ttlMs: number;
  #token: string | undefined;

  constructor(redis: Redis, key: string, ttlMs: number) {
    redis.defineCommand('jobcastRenewLease', { lua: RENEW, numberOfKeys: 1 });
    redis.defineCommand('jobcastReleaseLease', { lua: RELEASE, numberOfKeys: 1 });
    this.#redis = redis as LeaseRedis;
    this.#key = key;
    this.#ttlMs = ttlMs;
  }

  /** The token of the lease this node holds, if it does. */
  get token(): string | undefined {
    return this.#token;
  }

  /** Takes the lease if nobody holds it; each acquisition gets a new token. */
  async tryAcquire(nodeId: string): Promise<string | undefined> {
    const token = `${nodeId}:${randomBytes(6).toString('hex')}`;
    const taken = await this.#redis.set(this.#key, token, 'PX', this.#ttlMs, 'NX');
    this.#token = taken === 'OK' ? token : undefined;
    return this.#token;
  }

  /** Extends the lease; false (and the token dropped) when another node holds it now. */
  async renew(): Promise<boolean> {
    if (!this.#token) return false;
    const renewed = (await this.#redis.jobcastRenewLease(this.#key, this.#token, this.#ttlMs)) === 1;
    if (!renewed) this.#token = undefined;
    return renewed;
  }

  /** Gives the lease up so another node takes over at once. */
  async release(): Promise<void> {
    const token = this.#token;
    this.#token = undefined;
    if (token) await this.#redis.jobcastReleaseLease(this.#key, token).catch(() => undefined);
  }
}
