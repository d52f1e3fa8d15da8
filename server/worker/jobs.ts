import { z } from 'zod';
import type { EnqueuerOptions } from '../enqueue.js';
import { createJobEnqueuer, type EnqueuedChildJob, type JobEnqueueOptions, type ValidateJobData } from './enqueue.js';
import { JobDataError } from './errors.js';

/** One zod schema per job name; each must describe an object (jobcast adds `data.jobcast` to it). */
export type JobSchemas = Record<string, z.ZodType<Record<string, unknown>>>;

/**
 * Declares the jobs an app enqueues and the shape of their data, once, for the enqueuer and
 * the workers to share.
 * @example
 * export const jobs = defineJobs({ summarize: z.object({ documentId: z.number().int() }) });
 */
export function defineJobs<const J extends JobSchemas>(jobs: J): Readonly<J> {
  return Object.freeze({ ...jobs });
}

/**
 * Validates a job's data against the schema of its name and returns the parsed data (what
 * the schema outputs, defaults and transforms applied).
 * @throws JobDataError naming the job and listing the zod issues, or naming an unknown job
 */
export function createJobDataValidator(jobs: JobSchemas): ValidateJobData {
  return (name, data) => {
    const schema = Object.hasOwn(jobs, name) ? jobs[name] : undefined;
    if (!schema) {
      const known = Object.keys(jobs).map((job) => JSON.stringify(job)).join(', ') || 'none';
      throw new JobDataError(name, `No schema for job "${name}": add it to defineJobs() (known jobs: ${known})`);
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      throw new JobDataError(name, `Invalid data for job "${name}":\n${z.prettifyError(parsed.error)}`, parsed.error.issues);
    }
    // The type says object, but a schema built with z.any() or a transform may still lie.
    if (typeof parsed.data !== 'object' || parsed.data === null || Array.isArray(parsed.data)) {
      throw new JobDataError(name, `The schema of job "${name}" must produce an object`);
    }
    return parsed.data;
  };
}

/** An enqueue helper whose job names and data types come from `defineJobs`. */
export interface TypedEnqueuer<J extends JobSchemas> {
  /**
   * Validates `data` with the schema of `name`, then enqueues it with SAFE_JOB_DEFAULTS
   * (`options` win), a correlation id (given, inherited from the running job, or a new UUID),
   * the running job as `parentJobId`, and the active trace context.
   * @throws JobDataError (nothing is enqueued) when the data does not match
   */
  enqueue<N extends keyof J & string>(queue: string, name: N, data: z.input<J[N]>, options?: JobEnqueueOptions): Promise<EnqueuedChildJob>;
  /** Closes the queues and the Redis connection; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Makes the typed enqueue helper for an API server or a worker.
 *
 * Defaults it applies, each overridable per call through BullMQ's job options:
 * - `attempts: 3`: BullMQ's default of one attempt turns every transient fault into a failure.
 * - `backoff: exponential, 1 s, jitter 0.5`: retries spread out instead of arriving in lockstep.
 * - `removeOnFail: { age: 7 days, count: 5,000 }`: failed jobs stay for inspection, bounded.
 * - `removeOnComplete: { age: 24 h, count: 1,000 }`: finished jobs do not fill Redis.
 * @example
 * const { enqueue } = createTypedEnqueuer({ redis: process.env.REDIS_URL!, jobs });
 * await enqueue('summaries', 'summarize', { documentId: 42 }, { rooms: ['document:42'], correlationId: req.id });
 */
export function createTypedEnqueuer<J extends JobSchemas>(options: EnqueuerOptions & { jobs: J }): TypedEnqueuer<J> {
  const { jobs, ...enqueuerOptions } = options;
  const enqueuer = createJobEnqueuer({ ...enqueuerOptions, validate: createJobDataValidator(jobs) });
  return {
    enqueue: (queue, name, data, enqueueOptions) => enqueuer.enqueue(queue, name, data as Record<string, unknown>, enqueueOptions),
    close: enqueuer.close,
  };
}
