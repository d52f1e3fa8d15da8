import * as z from 'zod/mini';
import { JobStepSchema, WorkerIdentitySchema } from './schemas.js';

/**
 * The progress object the worker helpers report (`job.updateProgress(...)`). The server
 * lifts `step`, `steps`, `worker` and `traceId` into the job's public status; `percent` and
 * `data` stay in `status.progress`. A plain number or any other object is progress as is.
 */
export const WorkerProgressSchema = z.object({
  percent: z.optional(z.number().check(z.gte(0), z.lte(100))),
  step: z.optional(JobStepSchema),
  steps: z.optional(z.array(JobStepSchema).check(z.maxLength(100))),
  worker: z.optional(WorkerIdentitySchema),
  traceId: z.optional(z.string().check(z.maxLength(64))),
  /** Anything else the job wants to show (public, like all progress). */
  data: z.optional(z.record(z.string(), z.unknown())),
});
export type WorkerProgress = z.infer<typeof WorkerProgressSchema>;

/** Keys of a progress object that the server lifts out of `status.progress`. */
export const LIFTED_PROGRESS_KEYS = ['step', 'steps', 'worker', 'traceId'] as const;
