import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { JobStepSchema, type JobStep, type WorkerIdentity, type WorkerProgress } from '../../shared/index.js';

/** The most step entries a progress object carries (the schema's limit); the oldest go first. */
export const MAX_STEPS = 100;

/**
 * The step timeline an earlier attempt left in the job's progress: BullMQ keeps `progress`
 * across retries, so attempt 2 starts from attempt 1's timeline without extra storage.
 */
export function previousSteps(progress: unknown): JobStep[] {
  if (typeof progress !== 'object' || progress === null) return [];
  const steps = (progress as { steps?: unknown }).steps;
  if (!Array.isArray(steps)) return [];
  return steps.flatMap((step) => {
    const parsed = JobStepSchema.safeParse(step);
    return parsed.success ? [parsed.data] : [];
  });
}

/**
 * Keeps the job's progress object (WorkerProgressSchema in shared/worker.ts) and writes it
 * with `job.updateProgress`. Writes are chained so they reach Redis in the order they were
 * recorded, even when steps run in parallel.
 */
export class ProgressReporter {
  readonly #job: Job;
  readonly #logger: Logger;
  readonly #worker: WorkerIdentity;
  readonly #traceId: string | undefined;
  readonly #steps: JobStep[];
  #step: JobStep | undefined;
  #percent: number | undefined;
  #data: Record<string, unknown> | undefined;
  #chain: Promise<void> = Promise.resolve();

  constructor(job: Job, options: { logger: Logger; worker: WorkerIdentity; traceId: string | undefined; steps: JobStep[] }) {
    this.#job = job;
    this.#logger = options.logger;
    this.#worker = options.worker;
    this.#traceId = options.traceId;
    this.#steps = options.steps.slice(-MAX_STEPS);
  }

  /**
   * Records a step boundary as the current step. A step's entry is updated in place when it
   * ends (started → completed/failed), so `steps` holds one entry per step run whose
   * `startedAt` + `durationMs` say everything its two boundaries did, and 100 entries cover
   * 100 step runs instead of 50.
   */
  record(step: JobStep, replaces?: JobStep): void {
    const at = replaces ? this.#steps.lastIndexOf(replaces) : -1;
    if (at >= 0) this.#steps[at] = step;
    else this.#steps.push(step);
    if (this.#steps.length > MAX_STEPS) this.#steps.splice(0, this.#steps.length - MAX_STEPS);
    this.#step = step;
  }

  /** The name of the last step that completed (in this attempt or, skipped now, in an earlier one). */
  lastCompletedStep(): string | undefined {
    for (let i = this.#steps.length - 1; i >= 0; i--) {
      const step = this.#steps[i]!;
      if (step.status === 'completed' || step.status === 'skipped') return step.name;
    }
    return undefined;
  }

  setPercent(percent: number): void {
    // NaN would fail the schema, and the server would then drop the whole progress object.
    if (Number.isFinite(percent)) this.#percent = Math.min(100, Math.max(0, percent));
  }

  setData(data: Record<string, unknown>): void {
    this.#data = data;
  }

  /** The progress object as it stands now. */
  snapshot(): WorkerProgress {
    const progress: WorkerProgress = { worker: this.#worker, steps: this.#steps.slice() };
    if (this.#step) progress.step = this.#step;
    if (this.#percent !== undefined) progress.percent = this.#percent;
    if (this.#traceId) progress.traceId = this.#traceId;
    if (this.#data) progress.data = this.#data;
    return progress;
  }

  /**
   * Writes the current snapshot. Never rejects: a lost progress write must not fail a job
   * whose work succeeded, so it is logged instead.
   */
  report(): Promise<void> {
    const progress = this.snapshot();
    this.#chain = this.#chain.then(() =>
      this.#job.updateProgress(progress).catch((error: unknown) => {
        this.#logger.warn({ err: error }, 'jobcast: progress update failed');
      }),
    );
    return this.#chain;
  }
}
