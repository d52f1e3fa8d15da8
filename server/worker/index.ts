/**
 * `jobcast/worker`: the job-side helpers. Wrap a BullMQ processor (`createJobcastWorker` or
 * `withJobcast`), then inside it name the steps (`step`), log through the job-bound logger
 * (`logger`), enqueue child jobs that inherit the correlation id (`enqueue`), and report
 * progress (`reportProgress`). Outside workers, `createTypedEnqueuer` validates each job's
 * data with the zod schema of its name.
 */
export { createJobcastWorker } from './createJobcastWorker.js';
export type { JobcastWorkerOptions } from './createJobcastWorker.js';
export { withJobcast } from './withJobcast.js';
export type { JobcastProcessor, WithJobcastOptions } from './withJobcast.js';
export { step, reportProgress } from './step.js';
export type { StepOptions } from './step.js';
export { currentJob, correlationId, logger, jobcastMixin } from './context.js';
export { enqueue, createJobEnqueuer } from './enqueue.js';
export type { EnqueuedChildJob, JobEnqueueOptions, JobEnqueuer, WorkerJobData } from './enqueue.js';
export { defineJobs, createTypedEnqueuer, createJobDataValidator } from './jobs.js';
export type { JobSchemas, TypedEnqueuer } from './jobs.js';
export { JobDataError, OutsideJobError } from './errors.js';
export { DEFAULT_CHECKPOINT_TTL_MS, checkpointKey } from './checkpoint.js';
export { resolveWorkerIdentity, readPackageVersion } from './identity.js';
export { SAFE_JOB_DEFAULTS } from '../enqueue.js';
