import { afterEach, describe, expect, inject, it } from 'vitest';
import { Worker, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobStatus } from '../../shared/index.js';
import { NOT_TAKING_AFTER_MS, WorkerWatch, workerWarnings, type WorkerView } from '../../server/ingest/workerWatch.js';
import { queueOnRedis, waitFor } from '../support/harness.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/**
 * A queue on the test Redis with one job in BullMQ's active list holding its lock, and a watch
 * whose connection runs `between` right after its first read of the active list: what another
 * client does between the watch's two round trips.
 */
async function activeJobWatched(between: (redis: Redis, queue: Queue) => Promise<unknown>) {
  const { redis, queue } = queueOnRedis(inject('redisUrl'), 'watch', cleanups);
  await redis.lpush(queue.keys.active!, '7');
  await redis.set(`${queue.toKey('7')}:lock`, 'token', 'PX', 30_000);
  const lrange = async (...args: Parameters<Redis['lrange']>) => {
    const read = await redis.lrange(...args);
    await between(redis, queue);
    return read;
  };
  const watched = new Proxy(redis, {
    get: (target, property) => {
      if (property === 'lrange') return lrange;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const status: JobStatus = { jobId: '7', queue: queue.name, incarnation: 'i1', state: 'active', attempt: 1, maxAttempts: 1, updatedAt: Date.now() };
  return { watch: new WorkerWatch(watched, queue, 'bull'), status };
}

describe('WorkerWatch', () => {
  it('does not take a job that finished between its reads of the active list and of the locks for a job without a lock', async () => {
    // BullMQ's completion takes the job out of the active list and deletes its lock, in one script.
    const { watch, status } = await activeJobWatched((redis, queue) => redis.multi().lrem(queue.keys.active!, 0, '7').del(`${queue.toKey('7')}:lock`).exec());
    const view = await watch.read();
    expect(view.locks.has('7')).toBe(false);
    expect(workerWarnings(status, view)).toEqual([]);
  });

  it('still says WORKER_LOST of a job left in the active list without its lock', async () => {
    const { watch, status } = await activeJobWatched((redis, queue) => redis.del(`${queue.toKey('7')}:lock`));
    const view = await watch.read();
    expect(view.locks.get('7')).toBe(-2);
    expect(workerWarnings(status, view).map((warning) => warning.code)).toEqual(['WORKER_LOST']);
  });

  it('tells workers that take no jobs from workers that wait for them, are held back by a rate limit, or run one', async () => {
    const { redis, queue, name } = queueOnRedis(inject('redisUrl'), 'taking', cleanups);
    const watch = new WorkerWatch(redis, queue, 'bull');
    // Never run (autorun: false): connected, named, and taking nothing.
    const idle = new Worker(name, async () => undefined, { connection: { url: inject('redisUrl') }, autorun: false });
    cleanups.push(() => idle.close());
    await idle.waitUntilReady();
    await waitFor(async () => (await watch.read()).notTakingSince !== undefined, 'the unrun worker seen taking no jobs');
    // A rate limit holds workers back without blocking them: not the same thing.
    await redis.set(queue.keys.limiter!, '1', 'PX', 60_000);
    expect((await watch.read()).notTakingSince).toBeUndefined();
    await redis.del(queue.keys.limiter!);
    // A running worker with nothing to do blocks on BullMQ's marker: it waits for jobs.
    const running = new Worker(name, async () => undefined, { connection: { url: inject('redisUrl') } });
    cleanups.push(() => running.close());
    await waitFor(async () => (await watch.read()).notTakingSince === undefined, 'the running worker seen waiting for jobs');
    // Paused, it stops waiting (once its last wait for a job ends).
    await running.pause();
    await waitFor(async () => (await watch.read()).notTakingSince !== undefined, 'the paused worker seen taking no jobs');
    // A paused queue is told apart.
    await queue.pause();
    expect((await watch.read()).paused).toBe(true);
  });

  it('says NO_WORKER of a waiting job when the queue is paused, or when its workers have taken no jobs for a while, saying which', () => {
    const waiting: JobStatus = { jobId: '8', queue: 'q', incarnation: 'i1', state: 'waiting', attempt: 1, maxAttempts: 1, updatedAt: 0 };
    const now = Date.now();
    const view = (overrides: Partial<WorkerView>): WorkerView => ({ workers: ['bull:cQ=='], locks: new Map(), namesTrusted: true, paused: false, checkedAt: now, ...overrides });
    const said = (overrides: Partial<WorkerView>) => workerWarnings(waiting, view(overrides)).map((warning) => `${warning.code}: ${warning.message}`);
    expect(said({})).toEqual([]);
    expect(said({ paused: true })).toEqual(['NO_WORKER: Queue "q" is paused: it waits until it is resumed (queue.resume()).']);
    expect(said({ notTakingSince: now - NOT_TAKING_AFTER_MS + 1_000 })).toEqual([]);
    expect(said({ notTakingSince: now - NOT_TAKING_AFTER_MS })).toEqual([
      'NO_WORKER: The workers connected to queue "q" take no jobs (paused with worker.pause(), never run, or stuck): it waits until one takes jobs again.',
    ]);
    expect(said({ workers: [] })).toEqual(['NO_WORKER: No worker listens on queue "q": it waits until one starts.']);
  });
});
