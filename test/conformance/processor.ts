/** The workload's BullMQ processor: does what each job's `data.plan` says, and reports what BullMQ said when it finished. */
import { DelayedError, UnrecoverableError, Worker, type Job, type WorkerOptions } from 'bullmq';
import type { BullConnection } from './backend.js';
import type { FinishFact, Plan } from './model.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Tags whose one-time detour (rate limit, moveToDelayed) already happened, shared by every worker of the run. */
const detoured = new Set<string>();

export interface WorkerFacts {
  /** Called when BullMQ finished a job (completed, or failed for good), with the job as the worker saw it. */
  finished(tag: string, fact: FinishFact, jobId?: string): void;
}

/** Starts a worker of the workload on `queue`. */
export function startWorkloadWorker(queue: string, bull: BullConnection, facts: WorkerFacts, options: Partial<WorkerOptions> = {}): Worker {
  let worker!: Worker;
  const processor = async (job: Job, token?: string) => {
    const data = (job.data ?? {}) as { tag?: string; plan?: Plan };
    const tag = data.tag ?? `untagged:${job.id}`;
    const plan = data.plan ?? {};
    if (plan.rateLimitOnce && !detoured.has(`rate:${tag}`)) {
      detoured.add(`rate:${tag}`);
      await worker.rateLimit(plan.rateLimitOnce);
      throw Worker.RateLimitError();
    }
    if (plan.moveToDelayedOnce && !detoured.has(`delay:${tag}`)) {
      detoured.add(`delay:${tag}`);
      await job.moveToDelayed(Date.now() + plan.moveToDelayedOnce, token);
      throw new DelayedError();
    }
    for (const progress of plan.progress ?? []) {
      if (plan.workMs) await sleep(plan.workMs);
      await job.updateProgress(progress);
    }
    if (plan.workMs) await sleep(plan.workMs);
    if (plan.unrecoverable) throw new UnrecoverableError(`fail:${tag}:unrecoverable`);
    if (plan.failUntil !== undefined && job.attemptsMade < plan.failUntil) throw new Error(`fail:${tag}:${job.attemptsMade}`);
    return { tag };
  };
  worker = new Worker(queue, processor, {
    ...bull,
    // Long enough that a busy, shared machine does not stall healthy jobs; short stall checks for the killed worker's.
    lockDuration: 15_000,
    stalledInterval: 2_000,
    concurrency: 4,
    ...options,
  });
  worker.on('error', () => undefined); // Redis restarts: expected
  worker.on('completed', (job) => {
    const tag = (job.data as { tag?: string } | undefined)?.tag;
    if (tag) facts.finished(tag, { state: 'completed', attemptsMade: job.attemptsMade, progress: job.progress, at: Date.now() }, job.id);
  });
  worker.on('failed', (job) => {
    // finishedOn is set only when BullMQ gave up on the job (no retry left, or unrecoverable).
    const tag = (job?.data as { tag?: string } | undefined)?.tag;
    if (job && tag && job.finishedOn) facts.finished(tag, { state: 'failed', attemptsMade: job.attemptsMade, progress: job.progress, at: Date.now() }, job.id);
  });
  return worker;
}
