import type { Redis } from 'ioredis';
import { isValidRoomName } from '../../shared/index.js';
import type { Keys } from '../store/keys.js';
import { compareStreamIds } from './streamEvent.js';

/** Where a job incarnation reports to, recorded before the job is added. */
export interface Route {
  rooms: string[];
  correlationId?: string;
  /** The job's `attempts` option, known to the enqueue helper: what a removed job can no longer say. */
  maxAttempts?: number;
  /**
   * Where a failed attempt goes when it is retried, known to the enqueue helper from the job's
   * `backoff`: `delayed` (a backoff is set) or `waiting`. Tells a retry from a `moveToDelayed`
   * or a rate limit once the job's record is gone.
   */
  retryTo?: 'delayed' | 'waiting';
  /** The job's BullMQ `timestamp`, when the enqueue helper chose it: tells this incarnation's record from another's. */
  timestamp?: number;
  /** Set by enqueue when BullMQ deduplicated the job into this one (it may write no event for it). */
  deduplicatedBy?: string;
  /** When the route was recorded (epoch ms). */
  recordedAt?: number;
}

/** The reserved field of `job.data` that carries routing and lineage: `{ jobcast: { rooms, correlationId } }`. */
export interface JobcastJobData {
  rooms: string[];
  correlationId?: string;
  parentJobId?: string;
  traceparent?: string;
  tracestate?: string;
}

/** Reads the rooms a job's data names (`data.jobcast.rooms` or `data.rooms`): what child jobs inherit. */
export function routeFromData(data: unknown): Route | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const record = data as { jobcast?: Partial<JobcastJobData>; rooms?: unknown };
  const rooms = record.jobcast?.rooms ?? record.rooms;
  if (!Array.isArray(rooms)) return undefined;
  const valid = rooms.filter(isValidRoomName);
  if (valid.length === 0) return undefined;
  const correlationId = record.jobcast?.correlationId;
  return typeof correlationId === 'string' ? { rooms: valid, correlationId } : { rooms: valid };
}

/** Parses a stored route; undefined for anything that is not one. */
export function parseRoute(text: string | null | undefined): Route | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Route;
    return Array.isArray(value.rooms) && value.rooms.every(isValidRoomName) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Records a route at the events stream's current position: the next `added` event of the id
 * (always written after this position) takes the newest route recorded before it. The position
 * is the stream's last generated id, which a trim leaves in place (a trimmed or emptied stream
 * still numbers its next entry after it), so routes recorded later always sit later. Without a
 * stream (never written, or deleted by `obliterate`), it is just before Redis's current
 * millisecond: every entry written from now on sits after it. The id is listed as pending
 * until an `added` event takes it.
 */
const RECORD_ROUTE = `
local at
if redis.call('EXISTS', KEYS[2]) == 1 then
  local info = redis.call('XINFO', 'STREAM', KEYS[2])
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then at = info[i + 1] end
  end
end
if not at then
  local now = redis.call('TIME')
  at = string.format('%d-18446744073709551615', tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - 1)
end
redis.call('HSET', KEYS[1], at, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[3])
return at
`;

type RouteRedis = Redis & { jobcastRecordRoute(versions: string, stream: string, pending: string, route: string, ttlMs: number, jobId: string): Promise<string> };

/**
 * Where routes are recorded before jobs exist. A route belongs to one incarnation: the first
 * job added with its id after it was recorded. Events carry only the job id, and BullMQ deletes
 * a job's record (with its data) before writing its last event, so the route cannot be read
 * from the job; it is bound, in stream order, when the ingest reads the job's `added` event.
 */
export class RouteBook {
  readonly #redis: RouteRedis;
  readonly #keys: Keys;
  readonly #ttlMs: number;
  readonly #streamKey: (queue: string) => string;

  constructor(redis: Redis, keys: Keys, options: { ttlMs: number; streamKey: (queue: string) => string }) {
    redis.defineCommand('jobcastRecordRoute', { lua: RECORD_ROUTE, numberOfKeys: 3 });
    this.#redis = redis as RouteRedis;
    this.#keys = keys;
    this.#ttlMs = options.ttlMs;
    this.#streamKey = options.streamKey;
  }

  /** Records the route of the next job added to `queue` with `jobId`; returns the route as stored. */
  async record(queue: string, jobId: string, route: Route): Promise<Route> {
    const keys = this.#keys;
    const stored: Route = { ...route, recordedAt: Date.now() };
    await this.#redis.jobcastRecordRoute(keys.routeVersions(queue, jobId), this.#streamKey(queue), keys.queuePendingRoutes(queue), JSON.stringify(stored), this.#ttlMs, jobId);
    return stored;
  }

  /** Removes a recorded route that no job will take (its add did not happen). */
  async forget(queue: string, jobId: string, route: Route): Promise<void> {
    const key = this.#keys.routeVersions(queue, jobId);
    const stored = JSON.stringify(route);
    const versions = await this.#redis.hgetall(key);
    const at = Object.keys(versions).filter((field) => versions[field] === stored);
    if (at.length > 0) await this.#redis.hdel(key, ...at);
    if ((await this.#redis.hlen(key)) === 0) await this.#redis.srem(this.#keys.queuePendingRoutes(queue), jobId);
  }

  /**
   * Notes that BullMQ dropped the job as a duplicate of `by` and asks the ingesting node to
   * check it: in some deduplication modes BullMQ writes no event for the dropped job.
   */
  async markDeduplicated(queue: string, jobId: string, route: Route, by: string): Promise<void> {
    const key = this.#keys.routeVersions(queue, jobId);
    const stored = JSON.stringify(route);
    const versions = await this.#redis.hgetall(key);
    const at = Object.keys(versions).find((field) => versions[field] === stored);
    const write = this.#redis.multi();
    if (at !== undefined) write.hset(key, at, JSON.stringify({ ...route, deduplicatedBy: by }));
    await write.sadd(this.#keys.queueChecks(queue), jobId).exec();
  }

  /** Records the route of every job the scheduler `schedulerId` adds. */
  async recordScheduler(queue: string, schedulerId: string, route: Route): Promise<void> {
    await this.#redis.set(this.#keys.schedulerRoute(queue, schedulerId), JSON.stringify(route), 'PX', this.#ttlMs);
  }
}

/** Drops from the pending set the ids whose recorded routes all expired (checked in the script, so a route recorded meanwhile stays). */
const DROP_EXPIRED_PENDING = `
for index, versions in ipairs(KEYS) do
  if index > 1 and redis.call('EXISTS', versions) == 0 then redis.call('SREM', KEYS[1], ARGV[index - 1]) end
end
return 0
`;

export async function dropExpiredPending(redis: Redis, keys: Keys, queue: string, jobIds: string[]): Promise<void> {
  if (jobIds.length === 0) return;
  await redis.eval(DROP_EXPIRED_PENDING, jobIds.length + 1, keys.queuePendingRoutes(queue), ...jobIds.map((jobId) => keys.routeVersions(queue, jobId)), ...jobIds);
}

/**
 * The route an incarnation that started at stream id `startedAt` takes: the newest recorded
 * strictly before it. Returns it with the versions it consumes (it and every older one).
 */
export function pickRoute(versions: Record<string, string>, startedAt: string): { route: Route | undefined; consumed: string[] } {
  const before = Object.keys(versions)
    .filter((at) => compareStreamIds(at, startedAt) < 0)
    .sort(compareStreamIds);
  const newest = before[before.length - 1];
  return { route: newest === undefined ? undefined : parseRoute(versions[newest]), consumed: before };
}

/** The scheduler id of a job a BullMQ job scheduler added (`repeat:<schedulerId>:<millis>`). */
export function schedulerIdOf(jobId: string): string | undefined {
  const match = /^repeat:(.+):\d+$/.exec(jobId);
  return match?.[1];
}
