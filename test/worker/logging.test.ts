import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  correlationId,
  createJobcastWorker,
  createTypedEnqueuer,
  currentJob,
  defineJobs,
  enqueue,
  jobcastMixin,
  logger,
  step,
} from '../../server/worker/index.js';
import { uniqueName, waitFor } from '../support/stack.js';
import { QUICK_RETRY, captureLogger, finishedJob, onCleanup, readQueue, redisUrl } from './helpers.js';

const jobs = defineJobs({ import: z.object({ fileId: z.string() }) });
const STEP_LINE_KEYS = ['job_id', 'correlation_id', 'step_name', 'status', 'duration_ms', 'attempt', 'queue', 'job_name'];

describe('job logs', () => {
  it('puts the enqueuing request’s correlation id on every line of a retried job and of the child job it enqueues', async () => {
    const parentQueue = uniqueName('logs');
    const childQueue = uniqueName('logs-child');
    const keyPrefix = uniqueName('jc');
    const { logger: base, lines } = captureLogger();
    const appLines: Array<Record<string, unknown>> = [];
    const appLogger = pino({ mixin: jobcastMixin }, { write: (line: string) => void appLines.push(JSON.parse(line)) });
    let runs = 0;
    const seenInJob: Array<string | undefined> = [];
    const parent = createJobcastWorker(
      parentQueue,
      async () => {
        await step('read', () => logger().info({ bytes: 10 }, 'read the file'));
        await step('enqueue child', () => enqueue(childQueue, 'import', { fileId: 'f-1' }));
        await step('flaky', () => {
          appLogger.info('library code logging through its own logger');
          if (++runs === 1) throw new Error('flaky once');
        });
        // An async hop (timer) keeps the binding: AsyncLocalStorage follows it.
        await new Promise((resolve) => setTimeout(resolve, 5));
        seenInJob.push(correlationId(), currentJob()?.id);
      },
      { connection: redisUrl(), keyPrefix, logger: base, jobs },
    );
    const child = createJobcastWorker(childQueue, async () => step('child work', () => logger().info('child says hi')), {
      connection: redisUrl(),
      keyPrefix,
      logger: base,
    });
    onCleanup(() => Promise.all([parent.close(), child.close()]));
    const enqueuer = createTypedEnqueuer({ redis: redisUrl(), keyPrefix, jobs });
    onCleanup(() => enqueuer.close());

    const { jobId, correlationId: given } = await enqueuer.enqueue(parentQueue, 'import', { fileId: 'f-0' }, {
      rooms: ['document:7'],
      correlationId: 'req-4711',
      ...QUICK_RETRY,
    });
    expect(given).toBe('req-4711');
    const parentJob = await finishedJob(readQueue(parentQueue), jobId);
    expect(await parentJob.getState()).toBe('completed');
    const childQueueReader = readQueue(childQueue);
    // Each attempt enqueued one child; both inherit.
    const children = await waitFor(async () => {
      const found = await childQueueReader.getJobs(['completed']);
      return found.length === 2 ? found : undefined;
    }, 'both child jobs to complete');
    for (const childJob of children) {
      expect(childJob.data.jobcast).toMatchObject({ correlationId: 'req-4711', parentJobId: jobId, rooms: ['document:7'] });
    }

    const parentLines = lines.filter((line) => line.job_id === jobId);
    expect(parentLines.length).toBeGreaterThanOrEqual(14);
    for (const line of parentLines) expect(line.correlation_id).toBe('req-4711');
    expect(new Set(parentLines.map((line) => line.attempt))).toEqual(new Set([1, 2]));
    const childIds = new Set(children.map((job) => job.id));
    const childLines = lines.filter((line) => childIds.has(line.job_id as string));
    expect(childLines.length).toBeGreaterThan(0);
    for (const line of childLines) expect(line).toMatchObject({ correlation_id: 'req-4711', parent_job_id: jobId });
    expect(lines.filter((line) => line.job_id !== jobId && !childIds.has(line.job_id as string))).toEqual([]);

    // One line per step boundary, with the agreed keys.
    const boundaries = parentLines.filter((line) => typeof line.step_name === 'string');
    expect(boundaries.map((line) => `${line.step_name}:${line.status}@${line.attempt}`)).toEqual([
      'read:started@1', 'read:completed@1', 'enqueue child:started@1', 'enqueue child:completed@1', 'flaky:started@1', 'flaky:failed@1',
      'read:started@2', 'read:completed@2', 'enqueue child:started@2', 'enqueue child:completed@2', 'flaky:started@2', 'flaky:completed@2',
    ]);
    for (const line of boundaries) {
      for (const key of STEP_LINE_KEYS) expect(line).toHaveProperty(key);
      expect(line).toMatchObject({ queue: parentQueue, job_name: 'import' });
      if (line.status === 'started') expect(line.duration_ms).toBeNull();
      else expect(line.duration_ms).toEqual(expect.any(Number));
    }
    expect(boundaries.find((line) => line.status === 'failed')).toMatchObject({ last_completed_step: 'enqueue child', level: 50 });
    // Lines written through logger() and through an app logger with the mixin carry the ids too.
    expect(parentLines.filter((line) => line.msg === 'read the file')).toHaveLength(2);
    expect(appLines).toHaveLength(2);
    for (const line of appLines) expect(line).toMatchObject({ correlation_id: 'req-4711', job_id: jobId });
    expect(seenInJob).toEqual(['req-4711', jobId]);
  });

  it('keeps each job’s correlation id apart when a worker runs several jobs at once', async () => {
    const queue = uniqueName('logs');
    const keyPrefix = uniqueName('jc');
    const { logger: base, lines } = captureLogger();
    const worker = createJobcastWorker(
      queue,
      async (job) => {
        // Interleave the jobs: each waits a different time between its steps.
        await step('wait', () => new Promise((resolve) => setTimeout(resolve, 10 * (4 - Number(job.data.fileId)))));
        await step('report', () => logger().info({ seen: correlationId() }, 'done'));
      },
      { connection: redisUrl(), keyPrefix, logger: base, concurrency: 4 },
    );
    onCleanup(() => worker.close());
    const enqueuer = createTypedEnqueuer({ redis: redisUrl(), keyPrefix, jobs });
    onCleanup(() => enqueuer.close());
    const enqueued = await Promise.all(
      [0, 1, 2, 3].map((n) => enqueuer.enqueue(queue, 'import', { fileId: String(n) }, { rooms: ['document:9'], correlationId: `req-${n}` })),
    );
    const reader = readQueue(queue);
    for (const { jobId } of enqueued) await finishedJob(reader, jobId);
    const expected = new Map(enqueued.map((job) => [job.jobId, job.correlationId]));
    expect(lines.length).toBeGreaterThanOrEqual(4 * 6);
    for (const line of lines) expect(line.correlation_id).toBe(expected.get(line.job_id as string));
    for (const line of lines.filter((entry) => entry.msg === 'done')) expect(line.seen).toBe(line.correlation_id);
  });

  it('falls back to the job id as correlation id for a job added without jobcast data', async () => {
    const queue = uniqueName('logs');
    const { logger: base, lines } = captureLogger();
    const worker = createJobcastWorker(queue, async () => step('only', () => correlationId()), { connection: redisUrl(), logger: base });
    onCleanup(() => worker.close());
    const plain = readQueue(queue);
    const added = await plain.add('bare', { x: 1 });
    const job = await finishedJob(plain, added.id!);
    expect(job.returnvalue).toBe(added.id);
    expect(lines.filter((line) => line.step_name === 'only').map((line) => line.correlation_id)).toEqual([added.id, added.id]);
  });
});
