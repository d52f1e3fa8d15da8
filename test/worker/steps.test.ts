import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkpointKey, createJobcastWorker, createTypedEnqueuer, defineJobs, reportProgress, step } from '../../server/worker/index.js';
import { WorkerProgressSchema, type JobStep } from '../../shared/index.js';
import { uniqueName } from '../support/stack.js';
import { QUICK_RETRY, captureLogger, finishedJob, onCleanup, progressOf, readQueue, redisUrl } from './helpers.js';

const jobs = defineJobs({ pipeline: z.object({ documentId: z.number().int() }) });

/** A four-step job whose third step fails on its first run, counting how often each step runs. */
function fourStepPipeline() {
  const calls = { fetch: 0, transform: 0, persist: 0, notify: 0 };
  const seen: unknown[] = [];
  const processor = async () => {
    const fetched = await step('fetch', () => ({ text: `doc-${++calls.fetch}` }), { total: 4 });
    const words = await step('transform', async () => ({ words: fetched.text.split('-'), run: ++calls.transform }), { total: 4 });
    await step(
      'persist',
      () => {
        seen.push(words);
        if (++calls.persist === 1) throw new Error('database timeout');
      },
      { total: 4 },
    );
    await step('notify', () => void calls.notify++, { total: 4 });
    return { done: true };
  };
  return { calls, seen, processor };
}

async function setup(options: { checkpoint: boolean }) {
  const queue = uniqueName('steps');
  const keyPrefix = uniqueName('jc');
  const pipeline = fourStepPipeline();
  const worker = createJobcastWorker(queue, pipeline.processor, {
    connection: redisUrl(),
    keyPrefix,
    checkpoint: options.checkpoint,
    logger: captureLogger().logger,
    version: '9.9.9-test',
  });
  onCleanup(() => worker.close());
  const enqueuer = createTypedEnqueuer({ redis: redisUrl(), keyPrefix, jobs });
  onCleanup(() => enqueuer.close());
  const { jobId } = await enqueuer.enqueue(queue, 'pipeline', { documentId: 1 }, { rooms: ['document:1'], ...QUICK_RETRY });
  const job = await finishedJob(readQueue(queue), jobId);
  return { queue, keyPrefix, jobId, job, ...pipeline };
}

const brief = (steps: JobStep[] | undefined) => (steps ?? []).map((s) => `${s.name}:${s.status}@${s.attempt}`);

describe('step()', () => {
  it('retries a job whose third step fails and skips the two completed steps on attempt 2 with checkpointing', async () => {
    const { job, calls, seen, keyPrefix, queue, jobId } = await setup({ checkpoint: true });
    expect(await job.getState()).toBe('completed');
    // BullMQ counts the successful attempt too.
    expect(job.attemptsMade).toBe(2);
    expect(calls).toEqual({ fetch: 1, transform: 1, persist: 2, notify: 1 });
    // The skipped step returned what it returned on attempt 1.
    expect(seen).toEqual([
      { words: ['doc', '1'], run: 1 },
      { words: ['doc', '1'], run: 1 },
    ]);
    const progress = progressOf(job);
    // The contract with the server: anything it refuses would not be lifted at all.
    expect(WorkerProgressSchema.safeParse(progress).success).toBe(true);
    expect(brief(progress.steps)).toEqual([
      'fetch:completed@1',
      'transform:completed@1',
      'persist:failed@1',
      'fetch:skipped@2',
      'transform:skipped@2',
      'persist:completed@2',
      'notify:completed@2',
    ]);
    expect(progress.step).toMatchObject({ name: 'notify', status: 'completed', attempt: 2, index: 3, total: 4 });
    expect(progress.percent).toBe(100);
    // No OpenTelemetry SDK is registered in this file: tracing is a no-op and reports nothing.
    expect(progress.traceId).toBeUndefined();
    expect(progress.worker).toEqual({ host: expect.any(String), pid: process.pid, version: '9.9.9-test' });
    for (const entry of progress.steps!) {
      expect(entry.startedAt).toBeGreaterThan(0);
      expect(entry.durationMs).toBeGreaterThanOrEqual(0);
    }
    // The checkpoint is deleted once the job completed.
    const redis = new Redis(redisUrl());
    onCleanup(() => redis.quit());
    expect(await redis.exists(checkpointKey(keyPrefix, queue, jobId))).toBe(0);
  });

  it('runs every step again on attempt 2 without checkpointing', async () => {
    const { job, calls } = await setup({ checkpoint: false });
    expect(await job.getState()).toBe('completed');
    expect(calls).toEqual({ fetch: 2, transform: 2, persist: 2, notify: 1 });
    expect(brief(progressOf(job).steps)).toEqual([
      'fetch:completed@1',
      'transform:completed@1',
      'persist:failed@1',
      'fetch:completed@2',
      'transform:completed@2',
      'persist:completed@2',
      'notify:completed@2',
    ]);
  });

  it('ignores a checkpoint left by an earlier job that had the same custom id', async () => {
    const queue = uniqueName('steps');
    const keyPrefix = uniqueName('jc');
    const redis = new Redis(redisUrl());
    onCleanup(() => redis.quit());
    // What a removed job with id "order-1" left behind, with another creation time.
    await redis.hset(checkpointKey(keyPrefix, queue, 'order-1'), 'm:created', '1', 's:charge', JSON.stringify({ value: 'old' }));
    let charged = 0;
    const worker = createJobcastWorker(queue, async () => step('charge', () => `new-${++charged}`), {
      connection: redisUrl(),
      keyPrefix,
      checkpoint: { ttlMs: 60_000 },
      logger: captureLogger().logger,
    });
    onCleanup(() => worker.close());
    const enqueuer = createTypedEnqueuer({ redis: redisUrl(), keyPrefix, jobs });
    onCleanup(() => enqueuer.close());
    await enqueuer.enqueue(queue, 'pipeline', { documentId: 3 }, { rooms: ['document:3'], jobId: 'order-1' });
    const job = await finishedJob(readQueue(queue), 'order-1');
    expect(job.returnvalue).toBe('new-1');
    expect(charged).toBe(1);
  });

  it('leaves the failed step and the last completed one in progress when the job fails for good', async () => {
    const queue = uniqueName('steps');
    const keyPrefix = uniqueName('jc');
    const worker = createJobcastWorker(
      queue,
      async () => {
        await step('fetch', () => 1);
        await reportProgress(40, { stage: 'fetched' });
        await step('charge', () => {
          throw new Error('card declined');
        });
        await step('never', () => 2);
      },
      { connection: redisUrl(), keyPrefix, logger: captureLogger().logger },
    );
    onCleanup(() => worker.close());
    const enqueuer = createTypedEnqueuer({ redis: redisUrl(), keyPrefix, jobs });
    onCleanup(() => enqueuer.close());
    const { jobId } = await enqueuer.enqueue(queue, 'pipeline', { documentId: 2 }, { rooms: ['document:2'], attempts: 1 });
    const job = await finishedJob(readQueue(queue), jobId);
    expect(await job.getState()).toBe('failed');
    // The reason stays the original message; the step lives in progress.
    expect(job.failedReason).toBe('card declined');
    const progress = progressOf(job);
    expect(progress.step).toMatchObject({ name: 'charge', status: 'failed', attempt: 1 });
    expect(progress.step!.durationMs).toBeGreaterThanOrEqual(0);
    expect(brief(progress.steps)).toEqual(['fetch:completed@1', 'charge:failed@1']);
    expect(progress).toMatchObject({ percent: 40, data: { stage: 'fetched' } });
  });

  it('throws a clear error outside a wrapped processor', async () => {
    await expect(step('x', () => 1)).rejects.toThrow(/step\(\) was called outside a jobcast job/);
    await expect(reportProgress(10)).rejects.toMatchObject({ name: 'OutsideJobError' });
  });
});
