import type { Redis } from 'ioredis';
import { isValidRoomName } from '../../shared/index.js';
import type { Keys } from '../store/keys.js';

/** Where a job reports to, stored apart from the job so it outlives `removeOnComplete`. */
export interface Route {
  rooms: string[];
  correlationId?: string;
}

/** The reserved field of `job.data` that carries routing: `{ jobcast: { rooms, correlationId } }`. */
export interface JobcastJobData {
  rooms: string[];
  correlationId?: string;
  parentJobId?: string;
  traceparent?: string;
  tracestate?: string;
}

/** Reads routing from a job's data: `data.jobcast.rooms`, or a plain `data.rooms` array. */
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

/**
 * job → rooms, in Redis (so every node and every restart sees it) with a small
 * in-process cache in front, because every event of a job needs it.
 */
export class RouteTable {
  readonly #redis: Redis;
  readonly #keys: Keys;
  readonly #ttlMs: number;
  readonly #cache = new Map<string, Route>();
  readonly #cacheSize: number;

  constructor(redis: Redis, keys: Keys, ttlMs: number, cacheSize = 10_000) {
    this.#redis = redis;
    this.#keys = keys;
    this.#ttlMs = ttlMs;
    this.#cacheSize = cacheSize;
  }

  /**
   * Stores a job's route; called by the enqueue helper before the job exists, and by ingest
   * when data names rooms. A new job is also marked open, so that if its events are never
   * read (the stream trimmed while every server was down) reconciliation still finds it.
   */
  async set(queue: string, jobId: string, route: Route, options: { open?: boolean } = {}): Promise<void> {
    this.#remember(queue, jobId, route);
    const write = this.#redis.multi().set(this.#keys.route(queue, jobId), JSON.stringify(route), 'PX', this.#ttlMs);
    if (options.open) write.sadd(this.#keys.queueOpenJobs(queue), jobId);
    await write.exec();
  }

  /** The stored route, or the one named in the job's data (then stored for when the job is gone). */
  async get(queue: string, jobId: string, jobData: unknown): Promise<Route | undefined> {
    const cached = this.#cache.get(`${queue}\n${jobId}`);
    if (cached) return cached;
    const stored = await this.#redis.get(this.#keys.route(queue, jobId));
    if (stored) {
      const route = routeFromData({ jobcast: JSON.parse(stored) });
      if (route) this.#remember(queue, jobId, route);
      return route;
    }
    const fromData = routeFromData(jobData);
    if (fromData) await this.set(queue, jobId, fromData);
    return fromData;
  }

  #remember(queue: string, jobId: string, route: Route) {
    const key = `${queue}\n${jobId}`;
    this.#cache.delete(key);
    this.#cache.set(key, route);
    // A Map iterates in insertion order, so the first key is the least recently stored.
    if (this.#cache.size > this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value as string);
  }
}
