import { randomUUID } from 'node:crypto';
import { Queue, type JobsOptions } from 'bullmq';
import { isValidRoomName } from '../../shared/index.js';
import { SAFE_JOB_DEFAULTS, type EnqueuedJob, type EnqueuerOptions } from '../enqueue.js';
import { RouteTable, type JobcastJobData } from '../ingest/routing.js';
import { openRedis } from '../redisConnection.js';
import { createKeys } from '../store/keys.js';
import { jobContext, requireJobContext } from './context.js';
import { injectTraceContext } from './tracing.js';

/** What the worker helpers put in `data.jobcast`: routing, lineage and the W3C trace context. */
export interface WorkerJobData extends JobcastJobData {
  tracestate?: string;
}

/** Options of one enqueue: routing and lineage, plus any BullMQ job option (which win over the defaults). */
export interface JobEnqueueOptions extends JobsOptions {
  /** Rooms that receive this job's status. Inside a job: @default the running job's rooms */
  rooms?: string[];
  /** Ties the job's logs, steps and status to the request that caused it. @default the running job's, else a new UUID */
  correlationId?: string;
  /** The job that caused this one. @default the running job's id (none outside a job) */
  parentJobId?: string;
}

/** The enqueued job, with the lineage it was given. */
export interface EnqueuedChildJob extends EnqueuedJob {
  parentJobId?: string;
}

/** An enqueue helper that knows about the job running around it. */
export interface JobEnqueuer {
  enqueue(queue: string, name: string, data: Record<string, unknown>, options?: JobEnqueueOptions): Promise<EnqueuedChildJob>;
  /** Closes the queues and the Redis connection; safe to call twice. */
  close(): Promise<void>;
}

/** Turns (job name, data) into the data to store, or throws: where schemas plug in. */
export type ValidateJobData = (name: string, data: unknown) => Record<string, unknown>;

/**
 * The enqueue helper of the worker side: like `createEnqueuer` (route stored before the job
 * is added, SAFE_JOB_DEFAULTS), and also, when called while a jobcast job runs, inherits its
 * correlation id, rooms and id as `parentJobId`, and injects the active trace context.
 *
 * It repeats `createEnqueue`'s few lines instead of wrapping it because that helper
 * overwrites `data.jobcast` with `{ rooms, correlationId }`, leaving no room for
 * `parentJobId` or `traceparent`.
 */
export function createJobEnqueuer(options: EnqueuerOptions & { validate?: ValidateJobData }): JobEnqueuer {
  const redis = openRedis(options.redis, 'enqueue');
  const routes = new RouteTable(redis, createKeys(options.keyPrefix ?? 'jobcast'), options.routeTtlMs ?? 604_800_000);
  const queues = new Map<string, Queue>();
  const queueFor = (name: string) => {
    let queue = queues.get(name);
    if (!queue) {
      // Every Queue rewrites the events stream's max length when it starts: always pass jobcast's.
      queue = new Queue(name, {
        connection: redis,
        prefix: options.bullPrefix ?? 'bull',
        streams: { events: { maxLen: options.eventsMaxLen ?? 10_000 } },
      });
      queues.set(name, queue);
    }
    return queue;
  };

  const enqueue: JobEnqueuer['enqueue'] = async (queueName, name, data, enqueueOptions = {}) => {
    const stored = options.validate ? options.validate(name, data) : data;
    const parent = jobContext();
    const { rooms = parent?.rooms.slice(), correlationId, parentJobId, ...jobOptions } = enqueueOptions;
    if (!Array.isArray(rooms) || rooms.length === 0) {
      throw new TypeError('enqueue needs `rooms`, e.g. ["document:42"] (inside a jobcast job they default to its rooms)');
    }
    const invalid = rooms.find((room) => !isValidRoomName(room));
    if (invalid !== undefined) throw new TypeError(`Invalid room name ${JSON.stringify(invalid)}: rooms look like "type:id"`);
    const jobcast: WorkerJobData = {
      rooms,
      correlationId: correlationId ?? parent?.correlationId ?? randomUUID(),
      ...injectTraceContext(),
    };
    const lineage = parentJobId ?? parent?.jobId;
    if (lineage !== undefined) jobcast.parentJobId = lineage;
    const jobId = jobOptions.jobId ?? randomUUID();
    await routes.set(queueName, jobId, { rooms, correlationId: jobcast.correlationId! }, { open: true });
    const job = await queueFor(queueName).add(name, { ...stored, jobcast }, { ...SAFE_JOB_DEFAULTS, ...jobOptions, jobId });
    const result: EnqueuedChildJob = { queue: queueName, jobId, correlationId: jobcast.correlationId! };
    if (lineage !== undefined) result.parentJobId = lineage;
    // With deduplication BullMQ hands back the job that already exists.
    if (job.id && job.id !== jobId) result.deduplicatedBy = job.id;
    return result;
  };

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      await Promise.all([...queues.values()].map((queue) => queue.close()));
      queues.clear();
      await redis.quit().catch(() => redis.disconnect());
    })());
  return { enqueue, close };
}

/**
 * Enqueues a child job from inside a jobcast job: it inherits the job's correlation id, its
 * rooms (unless `rooms` is given) and gets `parentJobId` set, without the caller passing them.
 * @throws OutsideJobError outside a processor wrapped by jobcast, and TypeError when the
 * wrapper was given no Redis `connection`
 * @example
 * await enqueue('emails', 'notify', { documentId }, { rooms: ['user:7'] });
 */
export async function enqueue(queue: string, name: string, data: Record<string, unknown>, options?: JobEnqueueOptions): Promise<EnqueuedChildJob> {
  const enqueuer = requireJobContext('enqueue').enqueuer();
  if (!enqueuer) throw new TypeError('enqueue() inside a job needs a Redis `connection` in the withJobcast() options');
  return enqueuer.enqueue(queue, name, data, options);
}
