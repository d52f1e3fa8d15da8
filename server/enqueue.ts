import { randomUUID } from 'node:crypto';
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis, RedisOptions } from 'ioredis';
import { isValidRoomName } from '../shared/index.js';
import { RouteTable, type JobcastJobData } from './ingest/routing.js';
import { openRedis } from './redisConnection.js';
import { createKeys } from './store/keys.js';

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
}

/**
 * jobcast's job defaults, chosen because BullMQ's own (one attempt, keep every job forever)
 * lose failures or fill Redis. Each can be overridden per call.
 */
export const SAFE_JOB_DEFAULTS = {
  /** Transient faults get two more chances. */
  attempts: 3,
  /** 1 s, 2 s, 4 s… with ±50 % jitter so failed jobs do not retry in lockstep. */
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

/**
 * Makes the enqueue helper: stores the job → rooms route before adding the job (so even a
 * job removed on completion reaches its rooms), and names the rooms in `data.jobcast` too.
 */
export function createEnqueue(args: { redis: Redis; routes: RouteTable; eventsMaxLen: number; bullPrefix?: string }): {
  enqueue: EnqueueWithLineage;
  close: () => Promise<void>;
} {
  const queues = new Map<string, Queue>();
  const queueFor = (name: string) => {
    let queue = queues.get(name);
    if (!queue) {
      // Every Queue rewrites the events stream's max length when it starts: always pass ours.
      queue = new Queue(name, { connection: args.redis, prefix: args.bullPrefix ?? 'bull', streams: { events: { maxLen: args.eventsMaxLen } } });
      queue.on('error', () => undefined); // connection errors surface on add(), to the caller
      queues.set(name, queue);
    }
    return queue;
  };
  const enqueue: EnqueueWithLineage = async (queueName, name, data, options, lineage = {}) => {
    const { rooms, correlationId = randomUUID(), ...jobOptions } = options;
    if (!Array.isArray(rooms) || rooms.length === 0) throw new TypeError('enqueue needs `rooms`, e.g. ["document:42"]');
    const invalid = rooms.find((room) => !isValidRoomName(room));
    if (invalid !== undefined) throw new TypeError(`Invalid room name ${JSON.stringify(invalid)}: rooms look like "type:id"`);
    const jobId = jobOptions.jobId ?? randomUUID();
    const routing: JobcastJobData = { ...lineage, rooms, correlationId };
    await args.routes.set(queueName, jobId, { rooms, correlationId }, { open: true });
    const job = await queueFor(queueName).add(name, { ...data, jobcast: routing }, { ...SAFE_JOB_DEFAULTS, ...jobOptions, jobId });
    // With deduplication BullMQ hands back the job that already exists; ours is reported as deduplicated.
    return job.id && job.id !== jobId
      ? { queue: queueName, jobId, correlationId, deduplicatedBy: job.id }
      : { queue: queueName, jobId, correlationId };
  };
  const close = async () => {
    await Promise.all([...queues.values()].map((queue) => queue.close()));
    queues.clear();
  };
  return { enqueue, close };
}

export interface EnqueuerOptions {
  /** Redis connection: a URL, ioredis options, or an ioredis client (duplicated, never closed). */
  redis: string | RedisOptions | Redis;
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
 * The enqueue helper for processes that do not run the jobcast server (an API server, a
 * worker enqueueing follow-up jobs).
 * @example
 * const { enqueue, close } = createEnqueuer({ redis: process.env.REDIS_URL! });
 * await enqueue('summaries', 'summarize', { documentId: 42 }, { rooms: ['document:42'] });
 */
export function createEnqueuer(options: EnqueuerOptions): { enqueue: EnqueueWithLineage; close: () => Promise<void> } {
  const redis = openRedis(options.redis, 'enqueue');
  const routes = new RouteTable(redis, createKeys(options.keyPrefix ?? 'jobcast'), options.routeTtlMs ?? 604_800_000);
  const helper = createEnqueue({ redis, routes, eventsMaxLen: options.eventsMaxLen ?? 10_000, bullPrefix: options.bullPrefix ?? 'bull' });
  let closed: Promise<void> | undefined;
  return {
    enqueue: helper.enqueue,
    close: () =>
      (closed ??= (async () => {
        await helper.close();
        await redis.quit().catch(() => redis.disconnect());
      })()),
  };
}
