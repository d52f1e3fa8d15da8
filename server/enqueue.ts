import { randomUUID } from 'node:crypto';
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { isValidRoomName } from '../shared/index.js';
import { bindLate } from './ingest/jobRecord.js';
import { RouteBook, parseRoute, type JobcastJobData, type Route } from './ingest/routing.js';
import { openRedis, type RedisSource } from './redisConnection.js';
import { createKeys, type Keys } from './store/keys.js';

/** Options of one enqueue: where the job reports, plus any BullMQ job option. */
export interface EnqueueOptions extends JobsOptions {
  /** Rooms that receive this job's status, e.g. `['document:42']`. */
  rooms: string[];
  /** Ties the job's logs, steps and status to the request that caused it. @default a new UUID */
  correlationId?: string;
}

export interface EnqueuedJob {
  queue: string;
  jobId: string;
  correlationId: string;
  /** Set when deduplication dropped this job: the id of the existing job that will do the work. */
  deduplicatedBy?: string;
  /**
   * Set when a job with this custom `jobId` existed already: BullMQ adds nothing then, and
   * the existing job keeps its own rooms.
   */
  alreadyExists?: true;
}

/** Where a job reports: what `routeJob` records before a plain `queue.add`. */
export interface RouteOptions {
  /** Rooms that receive the job's status, e.g. `['document:42']`. */
  rooms: string[];
  /** Ties the job's logs, steps and status to the request that caused it. @default a new UUID */
  correlationId?: string;
  /** The job's `attempts` option, shown as `maxAttempts` once the job's record is gone. @default 1 */
  maxAttempts?: number;
}

/** Records the rooms of the next job added to `queue` with `jobId` (call it right before `queue.add`). */
export type RouteJob = (queue: string, jobId: string, options: RouteOptions) => Promise<{ queue: string; jobId: string; correlationId: string }>;

/** Records the rooms of every job a BullMQ job scheduler adds (`queue.upsertJobScheduler(schedulerId, …)`). */
export type RouteScheduler = (queue: string, schedulerId: string, options: RouteOptions) => Promise<void>;

/**
 * jobcast's job defaults, chosen because BullMQ's own (one attempt, keep every job forever)
 * lose failures or fill Redis. Each can be overridden per call.
 */
export const SAFE_JOB_DEFAULTS = {
  /** Transient faults get two more chances. */
  attempts: 3,
  /**
   * 1 s, 2 s, 4 s…; BullMQ's jitter shortens each delay to between 50 % and 100 % of it (Node
   * workers apply it), so failed jobs do not retry in lockstep.
   */
  backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 },
  /** Finished jobs are trimmed; their final status stays in the rooms' snapshots. */
  removeOnComplete: { age: 24 * 3600, count: 1_000 },
  /** Failed jobs are kept a week (up to 5,000) for inspection instead of vanishing. */
  removeOnFail: { age: 7 * 24 * 3600, count: 5_000 },
} as const satisfies JobsOptions;

export type Enqueue = <Data extends Record<string, unknown>>(
  queue: string,
  name: string,
  data: Data,
  options: EnqueueOptions,
) => Promise<EnqueuedJob>;

/** Lineage and trace context a job may carry in `data.jobcast` besides its rooms (set by the worker helpers). */
export type JobLineage = Omit<JobcastJobData, 'rooms' | 'correlationId'>;

/** The enqueue behind both helpers: `Enqueue` plus lineage. */
export type EnqueueWithLineage = <Data extends Record<string, unknown>>(
  queue: string,
  name: string,
  data: Data,
  options: EnqueueOptions,
  lineage?: JobLineage,
) => Promise<EnqueuedJob>;

/** How long enqueue waits for another enqueue of the same custom job id to finish. */
const LOCK_WAIT_MS = 10_000;

/** The helpers that attach rooms to jobs, built on one Redis connection. */
export interface Enqueuer {
  enqueue: EnqueueWithLineage;
  routeJob: RouteJob;
  routeScheduler: RouteScheduler;
  /** The route recorded for the job `jobId` of `queue` added at `timestamp` (its BullMQ timestamp), however it was routed. */
  routeOf: (queue: string, jobId: string, timestamp: number) => Promise<Route | undefined>;
  close: () => Promise<void>;
}

/**
 * Makes the enqueue helpers. A job's rooms are recorded before it is added, at the events
 * stream's current position, and bound to the job when jobcast reads its `added` event: the
 * job's own data may be gone by then (removeOnComplete), and its id may be reused later.
 * `queueRedis` is the connection for BullMQ's Queues when not `redis` (createJobcastServer
 * keeps BullMQ's scripts off its own).
 */
export function createEnqueue(args: { redis: Redis; queueRedis?: Redis; keys: Keys; routes: RouteBook; eventsMaxLen: number; bullPrefix?: string }): Enqueuer {
  const { redis, keys, routes } = args;
  const queues = new Map<string, Queue>();
  const queueFor = (name: string) => {
    let queue = queues.get(name);
    if (!queue) {
      // Every Queue rewrites the events stream's max length when it starts: always pass ours.
      queue = new Queue(name, { connection: args.queueRedis ?? redis, prefix: args.bullPrefix ?? 'bull', streams: { events: { maxLen: args.eventsMaxLen } } });
      queue.on('error', () => undefined); // connection errors surface on add(), to the caller
      queues.set(name, queue);
    }
    return queue;
  };

  const enqueue: EnqueueWithLineage = async (queueName, name, data, options, lineage = {}) => {
    const { rooms, correlationId = randomUUID(), ...jobOptions } = options;
    checkRooms(rooms);
    if (jobOptions.jobId === undefined) {
      // A fresh id cannot collide with another job: no lock needed.
      return add(queueName, name, data, { rooms, correlationId, jobOptions: { ...jobOptions, jobId: randomUUID() }, lineage });
    }
    const jobId = jobOptions.jobId;
    const release = await lock(queueName, jobId);
    try {
      if ((await redis.exists(queueFor(queueName).toKey(jobId))) === 1) return { queue: queueName, jobId, correlationId, alreadyExists: true };
      // Two incarnations of one id get two timestamps, even within one millisecond.
      const previous = parseRoute(await redis.hget(keys.job(queueName, jobId), 'route'))?.timestamp ?? 0;
      const timestamp = Math.max(Date.now(), previous + 1);
      return await add(queueName, name, data, { rooms, correlationId, jobOptions: { ...jobOptions, jobId, timestamp }, lineage });
    } finally {
      await release();
    }
  };

  async function add(
    queueName: string,
    name: string,
    data: Record<string, unknown>,
    args: { rooms: string[]; correlationId: string; jobOptions: JobsOptions & { jobId: string }; lineage: JobLineage },
  ): Promise<EnqueuedJob> {
    const { rooms, correlationId, lineage } = args;
    const jobOptions = { ...SAFE_JOB_DEFAULTS, ...args.jobOptions, timestamp: args.jobOptions.timestamp ?? Date.now() };
    const jobId = jobOptions.jobId;
    const route = await routes.record(queueName, jobId, { rooms, correlationId, maxAttempts: jobOptions.attempts ?? 1, retryTo: retryTo(jobOptions.backoff), timestamp: jobOptions.timestamp });
    let job;
    try {
      const routing: JobcastJobData = { ...lineage, rooms, correlationId };
      job = await queueFor(queueName).add(name, { ...data, jobcast: routing }, jobOptions);
    } catch (error) {
      await routes.forget(queueName, jobId, route).catch(() => undefined);
      throw error;
    }
    // With deduplication BullMQ hands back the job that already exists; ours is reported as deduplicated.
    if (job.id && job.id !== jobId) {
      await routes.markDeduplicated(queueName, jobId, route, job.id);
      return { queue: queueName, jobId, correlationId, deduplicatedBy: job.id };
    }
    return { queue: queueName, jobId, correlationId };
  }

  /** Serialises enqueues of one custom id, so a route is never recorded between another's record and add. */
  async function lock(queueName: string, jobId: string): Promise<() => Promise<void>> {
    const key = keys.enqueueLock(queueName, jobId);
    const token = randomUUID();
    const deadline = Date.now() + LOCK_WAIT_MS;
    while ((await redis.set(key, token, 'PX', LOCK_WAIT_MS, 'NX')) !== 'OK') {
      if (Date.now() > deadline) throw new Error(`enqueue: job id ${JSON.stringify(jobId)} of queue ${JSON.stringify(queueName)} is being enqueued by another call for too long`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return async () => {
      if ((await redis.get(key)) === token) await redis.del(key);
    };
  }

  const routeJob: RouteJob = async (queueName, jobId, options) => {
    checkRooms(options.rooms);
    if (typeof jobId !== 'string' || jobId.length === 0) throw new TypeError('routeJob needs the job id you will pass to queue.add');
    const correlationId = options.correlationId ?? randomUUID();
    const route: Route = { rooms: options.rooms, correlationId, ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}) };
    await routes.record(queueName, jobId, route);
    return { queue: queueName, jobId, correlationId };
  };

  const routeScheduler: RouteScheduler = async (queueName, schedulerId, options) => {
    checkRooms(options.rooms);
    const route: Route = { rooms: options.rooms, ...(options.correlationId ? { correlationId: options.correlationId } : {}), ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}) };
    await routes.recordScheduler(queueName, schedulerId, route);
  };

  const close = async () => {
    await Promise.all([...queues.values()].map((queue) => queue.close()));
    queues.clear();
  };
  const routeOf: Enqueuer['routeOf'] = async (queueName, jobId, timestamp) => {
    // Not bound yet (its `added` event not read): the recorded route that is its own, as the ingest will pick it.
    const [versions, bound] = await Promise.all([redis.hgetall(keys.routeVersions(queueName, jobId)), redis.hget(keys.job(queueName, jobId), 'route')]);
    const facts = { name: '', timestamp, opts: {}, attemptsMade: 0, progress: 0, data: undefined };
    const pending = bindLate({ versions, facts }).route;
    if (pending) return pending;
    const route = parseRoute(bound);
    const own = route && (route.timestamp === undefined ? (route.recordedAt ?? 0) <= timestamp : route.timestamp === timestamp);
    return own ? route : undefined;
  };

  return { enqueue, routeJob, routeScheduler, routeOf, close };
}

/** Where BullMQ sends a failed attempt it retries: a backoff with a delay delays it, else it waits again. */
function retryTo(backoff: JobsOptions['backoff']): 'delayed' | 'waiting' {
  if (backoff === undefined) return 'waiting';
  if (typeof backoff === 'number') return backoff > 0 ? 'delayed' : 'waiting';
  return backoff.type === 'fixed' && !backoff.delay ? 'waiting' : 'delayed';
}

function checkRooms(rooms: unknown): asserts rooms is string[] {
  if (!Array.isArray(rooms) || rooms.length === 0) throw new TypeError('enqueue needs `rooms`, e.g. ["document:42"]');
  const invalid = rooms.find((room) => !isValidRoomName(room));
  if (invalid !== undefined) throw new TypeError(`Invalid room name ${JSON.stringify(invalid)}: rooms look like "type:id"`);
}

export interface EnqueuerOptions {
  /** Redis connection: a URL, ioredis options, or an ioredis client (duplicated, never closed). */
  redis: RedisSource;
  /** Must match the jobcast server's. @default 'jobcast' */
  keyPrefix?: string;
  /** BullMQ key prefix. @default 'bull' */
  bullPrefix?: string;
  /** How long the job → rooms route is kept. @default 604_800_000 (seven days) */
  routeTtlMs?: number;
  /** Max length of BullMQ's events stream (every Queue instance rewrites it). @default 10_000 */
  eventsMaxLen?: number;
}

/**
 * The enqueue helpers for processes that do not run the jobcast server (an API server, a
 * worker enqueueing follow-up jobs).
 * @example
 * const { enqueue, routeJob, close } = createEnqueuer({ redis: process.env.REDIS_URL! });
 * await enqueue('summaries', 'summarize', { documentId: 42 }, { rooms: ['document:42'] });
 */
export function createEnqueuer(options: EnqueuerOptions): Enqueuer {
  const redis = openRedis(options.redis, 'enqueue');
  const bullPrefix = options.bullPrefix ?? 'bull';
  const keys = createKeys(options.keyPrefix ?? 'jobcast', bullPrefix);
  const routes = new RouteBook(redis, keys, { ttlMs: options.routeTtlMs ?? 604_800_000, streamKey: (queue) => `${bullPrefix}:${queue}:events` });
  const helper = createEnqueue({ redis, keys, routes, eventsMaxLen: options.eventsMaxLen ?? 10_000, bullPrefix });
  let closed: Promise<void> | undefined;
  return {
    ...helper,
    close: () =>
      (closed ??= (async () => {
        await helper.close();
        await redis.quit().catch(() => redis.disconnect());
      })()),
  };
}
