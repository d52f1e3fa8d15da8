import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { StatusEvent } from '../../shared/index.js';
import { startWorkerProcess } from '../support/processes.js';
import { startStack, testClient, uniqueName, waitFor } from '../support/stack.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await Promise.resolve().then(cleanups.pop()!).catch(() => undefined);
});

const warningCodes = (event: StatusEvent | undefined) => (event?.status.warnings ?? []).map((warning) => warning.code);

/** A server on a queue of its own, and a client subscribed to `room` that records what it receives. */
async function watchedStack(name: string, room: string) {
  const queue = uniqueName(name);
  const stack = await startStack({ queues: [queue] });
  cleanups.push(() => stack.close());
  const events: StatusEvent[] = [];
  const handle = testClient(stack.url).subscribe(room, (event) => events.push(event));
  await waitFor(() => handle.getSnapshot().state === 'active', 'subscribed');
  return { queue, stack, events };
}

describe('the worker watch', () => {
  it('says NO_WORKER on a waiting job when the only worker died after it was queued, and clears it when one starts', async () => {
    const { queue, stack, events } = await watchedStack('noworker', 'document:1');
    const doomed = await startWorkerProcess({ REDIS_URL: stack.redisUrl, QUEUE: queue, KEY_PREFIX: stack.keyPrefix });
    cleanups.push(() => doomed.kill());
    await doomed.kill();
    const { jobId } = await stack.server.enqueue(queue, 'orphan', {}, { rooms: ['document:1'] });
    const last = () => events.filter((event) => event.status.jobId === jobId).at(-1);
    await waitFor(() => warningCodes(last()).includes('NO_WORKER'), 'NO_WORKER on the waiting job');

    const rescuer = await startWorkerProcess({ REDIS_URL: stack.redisUrl, QUEUE: queue, KEY_PREFIX: stack.keyPrefix });
    cleanups.push(() => rescuer.kill());
    await waitFor(() => last()?.status.state === 'completed', 'the job done by the new worker');
    expect(warningCodes(last())).toEqual([]);
  });

  it('says WORKER_LOST on an active job whose worker was killed, before BullMQ calls it stalled', async () => {
    const { queue, stack, events } = await watchedStack('lost', 'document:2');
    const worker = await startWorkerProcess({ REDIS_URL: stack.redisUrl, QUEUE: queue, KEY_PREFIX: stack.keyPrefix, HANG: '1' });
    cleanups.push(() => worker.kill());
    const { jobId } = await stack.server.enqueue(queue, 'doomed', {}, { rooms: ['document:2'] });
    await worker.started(jobId);
    const last = () => events.filter((event) => event.status.jobId === jobId).at(-1);
    await waitFor(() => last()?.status.step?.name === 'work', 'the job inside its step');
    await worker.kill();
    await waitFor(() => warningCodes(last()).includes('WORKER_LOST'), 'WORKER_LOST on the active job');
    const lost = last()!;
    expect(lost.event).toBe('warned');
    expect(lost.status.state).toBe('active');
    // The lock (30 s) has not run out: BullMQ has not called it stalled yet.
    expect(events.some((event) => event.status.jobId === jobId && event.status.state === 'stalled')).toBe(false);
    expect(lost.status.warnings?.[0]?.until).toBeGreaterThan(Date.now());
  });
  it('says NO_WORKER on a job queued behind a killed worker while the lock that worker held is still live', async () => {
    const { queue, stack, events } = await watchedStack('deadlock', 'document:3');
    const worker = await startWorkerProcess({ REDIS_URL: stack.redisUrl, QUEUE: queue, KEY_PREFIX: stack.keyPrefix, HANG: '1' });
    cleanups.push(() => worker.kill());
    const running = await stack.server.enqueue(queue, 'held', {}, { rooms: ['document:3'] });
    await worker.started(running.jobId);
    const queued = await stack.server.enqueue(queue, 'behind', {}, { rooms: ['document:3'] });
    const last = () => events.filter((event) => event.status.jobId === queued.jobId).at(-1);
    await waitFor(() => last()?.status.state === 'waiting', 'the second job waiting behind the first');
    await worker.kill();
    await waitFor(() => warningCodes(last()).includes('NO_WORKER'), 'NO_WORKER on the queued job');
    // The dead worker's lock on the first job (30 s) still stands: it was not taken for a worker.
    const redis = new Redis(stack.redisUrl);
    cleanups.push(() => redis.quit());
    const lockTtl = await redis.pttl(`bull:${queue}:${running.jobId}:lock`);
    expect(lockTtl).toBeGreaterThan(0);
  });

  it('says NO_WORKER on a job waiting while the only worker is paused, and clears it when the worker resumes', async () => {
    const { queue, stack, events } = await watchedStack('paused', 'document:4');
    const worker = new Worker(queue, async () => ({ done: true }), { connection: { url: stack.redisUrl } });
    cleanups.push(() => worker.close());
    await worker.waitUntilReady();
    await worker.pause();
    const { jobId } = await stack.server.enqueue(queue, 'parked', {}, { rooms: ['document:4'] });
    const last = () => events.filter((event) => event.status.jobId === jobId).at(-1);
    await waitFor(() => warningCodes(last()).includes('NO_WORKER'), 'NO_WORKER on the job no worker takes', 40_000);
    expect(last()!.status.state).toBe('waiting');
    expect(last()!.status.warnings![0]!.message).toContain('take no jobs');
    worker.resume();
    await waitFor(() => last()?.status.state === 'completed', 'the job done once the worker resumed');
    expect(warningCodes(last())).toEqual([]);
  });
});
