import { randomUUID } from 'node:crypto';
import type { JobsOptions } from 'bullmq';
import { createEnqueuer, type EnqueuedJob, type EnqueuerOptions, type JobLineage } from '../enqueue.js';
import type { JobcastJobData } from '../ingest/routing.js';
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
 * The enqueue helper of the worker side: `createEnqueuer` (route stored before the job is
 * added, SAFE_JOB_DEFAULTS) plus, when called while a jobcast job runs, its correlation id,
 * rooms and id as `parentJobId`, and the active trace context.
 */
export function createJobEnqueuer(options: EnqueuerOptions & { validate?: ValidateJobData }): JobEnqueuer {
  const base = createEnqueuer(options);
  const enqueue: JobEnqueuer['enqueue'] = async (queueName, name, data, enqueueOptions = {}) => {
    const stored = options.validate ? options.validate(name, data) : data;
    const parent = jobContext();
    const { rooms: givenRooms, correlationId, parentJobId, ...jobOptions } = enqueueOptions;
    let rooms = givenRooms ?? (parent?.rooms.length ? parent.rooms.slice() : undefined);
    // A job routed with routeJob + queue.add carries no rooms in its data: its recorded route has them.
    if (!rooms && parent) rooms = (await base.routeOf(parent.queue, parent.jobId, parent.job.timestamp))?.rooms;
    if (!Array.isArray(rooms) || rooms.length === 0) {
      throw new TypeError('enqueue needs `rooms`, e.g. ["document:42"] (inside a jobcast job they default to its rooms)');
    }
    const lineage: JobLineage = { ...injectTraceContext() };
    const parentId = parentJobId ?? parent?.jobId;
    if (parentId !== undefined) lineage.parentJobId = parentId;
    const job = await base.enqueue(queueName, name, stored, { ...jobOptions, rooms, correlationId: correlationId ?? parent?.correlationId ?? randomUUID() }, lineage);
    return parentId === undefined ? job : { ...job, parentJobId: parentId };
  };
  return { enqueue, close: base.close };
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
