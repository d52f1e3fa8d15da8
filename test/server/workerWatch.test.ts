import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobStatus } from '../../shared/index.js';
import { WorkerWatch, workerWarnings } from '../../server/ingest/workerWatch.js';
import { queueOnRedis } from '../support/harness.js';

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
});
