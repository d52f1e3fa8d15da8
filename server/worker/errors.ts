import type { z } from 'zod';

/**
 * Thrown by the enqueue helpers when a job's data does not match the schema of its job
 * name (or the name has no schema). Nothing is enqueued when it is thrown.
 */
export class JobDataError extends TypeError {
  /** The job name whose data was refused. */
  readonly jobName: string;
  /** The zod issues, empty when the job name has no schema at all. */
  readonly issues: readonly z.core.$ZodIssue[];

  constructor(jobName: string, message: string, issues: readonly z.core.$ZodIssue[] = []) {
    super(message);
    this.name = 'JobDataError';
    this.jobName = jobName;
    this.issues = issues;
  }
}

/**
 * Thrown by `step()`, `reportProgress()`, `logger()` and the in-job `enqueue()` when they are
 * called outside a processor wrapped by `withJobcast` / `createJobcastWorker`: they need the
 * running job, which only the wrapper binds.
 */
export class OutsideJobError extends Error {
  constructor(fn: string) {
    super(
      `${fn}() was called outside a jobcast job: wrap the processor with withJobcast() or use createJobcastWorker(), ` +
        'and call it from inside the processor (the job is bound with AsyncLocalStorage)',
    );
    this.name = 'OutsideJobError';
  }
}
