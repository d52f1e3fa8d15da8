import { AsyncLocalStorage } from 'node:async_hooks';
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { JobCheckpoint } from './checkpoint.js';
import type { JobEnqueuer } from './enqueue.js';
import { OutsideJobError } from './errors.js';
import type { ProgressReporter } from './progress.js';

/** Everything the helpers need about the job running in the current async context. */
export interface JobContext {
  readonly job: Job;
  readonly queue: string;
  readonly jobId: string;
  readonly correlationId: string;
  readonly parentJobId: string | undefined;
  /** The rooms the job reports to: the default rooms of the child jobs it enqueues. */
  readonly rooms: readonly string[];
  /** 1 on the first run, 2 on the first retry… (BullMQ's `attemptsStarted`, as the server counts). */
  readonly attempt: number;
  /** The job-bound logger: every line carries job_id, correlation_id, queue, job_name, attempt. */
  readonly logger: Logger;
  readonly progress: ProgressReporter;
  /** Present when checkpointing is on. */
  readonly checkpoint: JobCheckpoint | undefined;
  /** The enqueuer for child jobs, or undefined when the wrapper has no Redis connection. */
  readonly enqueuer: () => JobEnqueuer | undefined;
  /** How many times each step name was used in this attempt: the checkpoint field of a repeated name. */
  readonly occurrences: Map<string, number>;
  /** Steps started in this attempt: the next step's `index`. */
  stepCount: number;
}

/**
 * One store for the whole process. AsyncLocalStorage (not a module variable) because a
 * worker with `concurrency > 1` interleaves several jobs on one thread.
 */
const storage = new AsyncLocalStorage<JobContext>();

/** Runs `fn` with `context` bound for every async operation it starts. */
export const runInJob = <T>(context: JobContext, fn: () => T): T => storage.run(context, fn);

/** The running job's context, or undefined outside a wrapped processor. */
export const jobContext = (): JobContext | undefined => storage.getStore();

/** The running job's context; throws OutsideJobError naming `fn` outside a wrapped processor. */
export function requireJobContext(fn: string): JobContext {
  const context = storage.getStore();
  if (!context) throw new OutsideJobError(fn);
  return context;
}

/**
 * The BullMQ job being processed in the current async context.
 * @returns the job, or `undefined` outside a processor wrapped by jobcast
 */
export const currentJob = (): Job | undefined => storage.getStore()?.job;

/**
 * The correlation id of the running job: the one given at enqueue (or inherited from the
 * parent job), else the job id.
 * @returns the id, or `undefined` outside a processor wrapped by jobcast
 */
export const correlationId = (): string | undefined => storage.getStore()?.correlationId;

/**
 * The job-bound pino logger: every line carries job_id, correlation_id, queue, job_name and
 * attempt (and parent_job_id / trace_id when known).
 * @throws OutsideJobError outside a processor wrapped by jobcast
 */
export const logger = (): Logger => requireJobContext('logger').logger;

/**
 * A pino `mixin` for the application's *other* loggers: lines they write while a job runs
 * carry its job_id and correlation_id. Do not put it on the logger given to jobcast, whose
 * job-bound child already has them (pino would write the keys twice).
 * @example
 * const appLogger = pino({ mixin: jobcastMixin });
 */
export function jobcastMixin(): Record<string, string> {
  const context = storage.getStore();
  return context ? { job_id: context.jobId, correlation_id: context.correlationId } : {};
}
