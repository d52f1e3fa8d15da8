import type { z } from 'zod';
import type { LifecycleEvent, PublicFailure } from '../../shared/index.js';

/** What a projection sees of a job. `data` is undefined when the job was already removed. */
export interface ProjectionContext {
  queue: string;
  jobId: string;
  name: string | undefined;
  event: LifecycleEvent;
  data: unknown;
  /** The processor's return value, on `completed` only. */
  returnvalue?: unknown;
}

/**
 * Per queue: what of a job a browser may see. `select` picks fields, `schema` checks them
 * (a value that fails the schema is dropped and logged, never sent). `failure` turns a
 * raw failure reason into public text; without it browsers see only "The job failed.".
 * @example
 * project: { summaries: { schema: z.object({ summary: z.string() }), select: ({ returnvalue }) => returnvalue } }
 */
export interface Projection<T extends Record<string, unknown> = Record<string, unknown>> {
  schema: z.ZodType<T>;
  select: (context: ProjectionContext) => unknown;
  failure?: (reason: string, context: ProjectionContext) => PublicFailure | undefined;
}

/** The public failure when a queue does not say otherwise. */
export const DEFAULT_FAILURE: PublicFailure = { code: 'JOB_FAILED', message: 'The job failed.' };
