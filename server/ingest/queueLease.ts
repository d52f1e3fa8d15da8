import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Takes the lease when nobody holds it. Its token starts with a fence number that grows with
 * every acquisition: Redis's clock in microseconds, and at least one more than the last one
 * (KEYS[2], kept forever), so it still grows if the clock steps back, or if this key's Redis lost
 * its data while the rooms' did not. Rooms, which live in other hash slots, compare it.
 * KEYS: lease, last fence. ARGV: node id, ttl ms. Returns the token, or false.
 */
const ACQUIRE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local now = redis.call('TIME')
local fence = math.max(tonumber(now[1]) * 1000000 + tonumber(now[2]), tonumber(redis.call('GET', KEYS[2]) or '0') + 1)
local text = string.format('%.0f', fence)
redis.call('SET', KEYS[2], text)
local token = text .. ':' .. ARGV[1]
redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
return token
`;
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

type LeaseRedis = Redis & {
  jobcastAcquireLease(key: string, fenceKey: string, nodeToken: string, ttlMs: number): Promise<string | null>;
  jobcastRenewLease(key: string, token: string, ttlMs: number): Promise<number>;
  jobcastReleaseLease(key: string, token: string): Promise<number>;
};

/**
 * The right to ingest one queue's events: one node at a time per deployment, so each event
 * is ingested once in stream order. Every record write of the ingest checks the token in the same
 * script, and rooms compare its fence number (a fencing token), so a node that paused past its
 * lease cannot write over what another node wrote after taking over. A node that dies loses it
 * when the TTL runs out.
 */
export class QueueLease {
  readonly #redis: LeaseRedis;
  readonly #key: string;
  readonly #fenceKey: string;
  readonly #ttlMs: number;
  #token: string | undefined;

  constructor(redis: Redis, key: string, fenceKey: string, ttlMs: number) {
    redis.defineCommand('jobcastAcquireLease', { lua: ACQUIRE, numberOfKeys: 2 });
    redis.defineCommand('jobcastRenewLease', { lua: RENEW, numberOfKeys: 1 });
    redis.defineCommand('jobcastReleaseLease', { lua: RELEASE, numberOfKeys: 1 });
    this.#redis = redis as LeaseRedis;
    this.#key = key;
    this.#fenceKey = fenceKey;
    this.#ttlMs = ttlMs;
  }

  /** The token of the lease this node holds, if it does. */
  get token(): string | undefined {
    return this.#token;
  }

  /** Takes the lease if nobody holds it; each acquisition gets a new token, with a greater fence number. */
  async tryAcquire(nodeId: string): Promise<string | undefined> {
    const token = await this.#redis.jobcastAcquireLease(this.#key, this.#fenceKey, `${nodeId}:${randomBytes(6).toString('hex')}`, this.#ttlMs);
    this.#token = token ?? undefined;
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
