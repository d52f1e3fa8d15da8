import { z } from 'zod';
import { JobStepSchema, WorkerIdentitySchema } from './schemas.js';

/**
 * The progress object the worker helpers report (`job.updateProgress(...)`). The server
 * lifts `step`, `steps`, `worker` and `traceId` into the job's public status; `percent` and
 * `data` stay in `status.progress`. A plain number or any other object is progress as is.
 */
export const WorkerProgressSchema = z.object({
  percent: z.number().min(0).max(100).optional(),
  step: JobStepSchema.optional(),
  steps: z.array(JobStepSchema).max(100).optional(),
  worker: WorkerIdentitySchema.optional(),
  traceId: z.string().max(64).optional(),
  /** Anything else the job wants to show (public, like all progress). */
  data: z.record(z.string(), z.unknown()).optional(),
});
export type WorkerProgress = z.infer<typeof WorkerProgressSchema>;

/** Keys of a progress object that the server lifts out of `status.progress`. */
export const LIFTED_PROGRESS_KEYS = ['step', 'steps', 'worker', 'traceId'] as const;
