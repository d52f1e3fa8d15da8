import { Job, Queue } from 'bullmq';
import { pino, type Logger } from 'pino';
import { afterEach, inject } from 'vitest';
import type { WorkerProgress } from '../../shared/index.js';
import { waitFor } from '../support/stack.js';

/** Cleanups run after each test, last registered first. */
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
export const onCleanup = (fn: () => unknown) => cleanups.push(fn);

export const redisUrl = () => inject('redisUrl');

/** A pino logger whose JSON lines are parsed into `lines`, as a log pipeline would see them. */
export function captureLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

/** A plain queue for reading jobs back (closed after the test). */
export function readQueue(name: string): Queue {
  const queue = new Queue(name, { connection: { url: redisUrl() } });
  onCleanup(() => queue.close());
  return queue;
}

/** Waits until the job finished (completed or failed for good) and returns it. */
export async function finishedJob(queue: Queue, jobId: string, timeoutMs = 30_000): Promise<Job> {
  return waitFor(
    async () => {
      // State first, record second: a record read before the state could predate the finish.
      const state = await queue.getJobState(jobId);
      if (state !== 'completed' && state !== 'failed') return undefined;
      return Job.fromId(queue, jobId);
    },
    `job ${jobId} to finish`,
    timeoutMs,
  );
}

/** The job's progress as the worker helpers wrote it. */
export const progressOf = (job: Job) => job.progress as WorkerProgress;

/** A fast retry for tests: the defaults wait a second or more. */
export const QUICK_RETRY = { attempts: 2, backoff: { type: 'fixed', delay: 50 } } as const;
