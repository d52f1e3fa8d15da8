import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createEnqueuer } from '../../server/index.js';
import type { StatusEvent } from '../../shared/index.js';
import { freePort, startRedisServer } from '../../scripts/redisServer.js';
import { startServerProcess } from '../support/processes.js';
import { openQueue, startStack, startWorker, testClient, uniqueName, waitFor } from '../support/stack.js';
import { startBalancer } from '../support/tcpBalancer.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});


/** A job that reports progress in steps and waits for `release()` before finishing. */
function gatedWorker(queue: string, redisUrl?: string) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const worker = startWorker(
    queue,
    async (job) => {
      await job.updateProgress(10);
      await gate;
      await job.updateProgress(90);
      return 'done';
    },
    redisUrl,
  );
  cleanups.push(() => worker.close(true));
  return { worker, release };
}

describe('a server node dies', () => {
  it('its clients reach the job terminal state through another node', async () => {
    const queue = uniqueName('kill');
    const redisUrl = (await import('vitest')).inject('redisUrl');
    const keyPrefix = uniqueName('jc');
    const nodes = await Promise.all(
      ['node-a', 'node-b'].map((NODE_ID) => startServerProcess({ REDIS_URL: redisUrl, QUEUES: queue, KEY_PREFIX: keyPrefix, NODE_ID })),
    );
    cleanups.push(() => Promise.all(nodes.map((node) => node.kill())));
    const balancer = await startBalancer(nodes.map((node) => node.port));
    cleanups.push(() => balancer.close());
    const alice = testClient(balancer.url);
    const events: StatusEvent[] = [];
    const handle = alice.subscribe('document:1', (event) => events.push(event));
    await waitFor(() => handle.getSnapshot().state === 'active' && alice.connection.getSnapshot().nodeId, 'subscribed');
    const firstNode = alice.connection.getSnapshot().nodeId!;

    const enqueuer = createEnqueuer({ redis: redisUrl, keyPrefix });
    cleanups.push(() => enqueuer.close());
    const { release } = gatedWorker(queue);
    const { jobId } = await enqueuer.enqueue(queue, 'long', {}, { rooms: ['document:1'] });
    await waitFor(() => handle.getSnapshot().jobs[`${queue}/${jobId}`]?.progress === 10, 'job active with progress');

    await nodes.find((node) => node.nodeId === firstNode)!.kill();
    release();
    await waitFor(() => handle.getSnapshot().jobs[`${queue}/${jobId}`]?.state === 'completed', 'completed through the other node', 40_000);
    expect(alice.connection.getSnapshot().nodeId).not.toBe(firstNode);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, index) => index + 1));
    // The `waiting` that repeats `added` is not sent.
    expect(events.filter((e) => e.status.jobId === jobId).map((e) => e.event)).toEqual([
      'added',
      'active',
      'progress',
      'progress',
      'completed',
    ]);
  });
});

describe('Redis restarts', () => {
  async function ownRedis(appendonly: boolean) {
    const redis = await startRedisServer({ appendonly });
    cleanups.push(() => redis.dispose());
    return redis;
  }

  it('without persistence: the epoch changes, clients resync, and no job is left showing active', async () => {
    const redis = await ownRedis(false);
    const queue = uniqueName('redis');
    const stack = await startStack({ queues: [queue], redisUrl: redis.url, dataLossCheckMs: 500 });
    cleanups.push(() => stack.close());
    const alice = testClient(stack.url);
    const handle = alice.subscribe('document:1');
    await waitFor(() => handle.getSnapshot().state === 'active', 'subscribed');
    gatedWorker(queue, redis.url);
    const { jobId } = await stack.server.enqueue(queue, 'long', {}, { rooms: ['document:1'] });
    await waitFor(() => handle.getSnapshot().jobs[`${queue}/${jobId}`]?.state === 'active', 'active');
    const epochBefore = handle.getSnapshot().epoch;

    await redis.kill();
    await redis.start();
    await waitFor(() => handle.getSnapshot().jobs[`${queue}/${jobId}`]?.state === 'unknown', 'the lost job shown as unknown', 40_000);
    const after = handle.getSnapshot();
    expect(after.epoch).not.toBe(epochBefore);
    expect(after.gaps.resynced).toBeGreaterThanOrEqual(1);
    expect(Object.values(after.jobs).filter((job) => job.state === 'active')).toEqual([]);
  });

  it('with persistence (appendonly): nothing is lost and no resync is needed', async () => {
    const redis = await ownRedis(true);
    const queue = uniqueName('redis');
    const stack = await startStack({ queues: [queue], redisUrl: redis.url, dataLossCheckMs: 500 });
    cleanups.push(() => stack.close());
    const alice = testClient(stack.url);
    const events: StatusEvent[] = [];
    const handle = alice.subscribe('document:1', (event) => events.push(event));
    await waitFor(() => handle.getSnapshot().state === 'active', 'subscribed');
    const { release } = gatedWorker(queue, redis.url);
    const { jobId } = await stack.server.enqueue(queue, 'long', {}, { rooms: ['document:1'] });
    await waitFor(() => handle.getSnapshot().jobs[`${queue}/${jobId}`]?.progress === 10, 'active');
    const epochBefore = handle.getSnapshot().epoch;

    await redis.stop();
    await redis.start();
    release();
    await waitFor(() => handle.getSnapshot().jobs[`${queue}/${jobId}`]?.state === 'completed', 'completed after the restart', 40_000);
    const after = handle.getSnapshot();
    expect(after.epoch).toBe(epochBefore);
    expect(after.gaps.resynced).toBe(0);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, index) => index + 1));
    expect(events.map((e) => e.event)).toEqual(['added', 'active', 'progress', 'progress', 'completed']);
  });
});

describe('the events stream is trimmed while the server is down', () => {
  it('is detected on start, and clients end with the true state', async () => {
    const queue = uniqueName('trim');
    const port = await freePort();
    const first = await startStack({ queues: [queue], port });
    let stack = first;
    cleanups.push(() => stack.close());
    const alice = testClient(first.url);
    const events: StatusEvent[] = [];
    const handle = alice.subscribe('document:1', (event) => events.push(event));
    await waitFor(() => handle.getSnapshot().state === 'active', 'subscribed');
    const { release } = gatedWorker(queue);
    const { jobId } = await first.server.enqueue(queue, 'long', {}, { rooms: ['document:1'] });
    await waitFor(() => handle.getSnapshot().jobs[`${queue}/${jobId}`]?.progress === 10, 'active');
    await first.close();

    release();
    const plain = openQueue(queue);
    cleanups.push(() => plain.close());
    await waitFor(async () => (await plain.getJob(jobId))?.finishedOn, 'the job to finish while the server is down');
    // A job enqueued and finished while no node read: its `added` event is trimmed away too.
    const enqueuer = createEnqueuer({ redis: first.redisUrl, keyPrefix: first.keyPrefix });
    cleanups.push(() => enqueuer.close());
    const whileDown = await enqueuer.enqueue(queue, 'while-down', {}, { rooms: ['document:1'] });
    await waitFor(async () => (await plain.getJob(whileDown.jobId))?.finishedOn, 'the second job to finish while the server is down');
    const redis = new Redis(first.redisUrl);
    cleanups.push(() => redis.quit());
    await redis.xtrim(`bull:${queue}:events`, 'MAXLEN', 0);

    stack = await startStack({ queues: [queue], port, keyPrefix: first.keyPrefix });
    await waitFor(() => handle.getSnapshot().jobs[`${queue}/${jobId}`]?.state === 'completed', 'the true state after the trim', 40_000);
    // The completion itself was trimmed away: the server read the job's real state instead.
    expect(events.at(-1)).toMatchObject({ event: 'reconciled', status: { state: 'completed' } });
    expect(handle.getSnapshot().jobs[`${queue}/${jobId}`]).toMatchObject({ state: 'completed', attempt: 1 });
    await waitFor(() => handle.getSnapshot().jobs[`${queue}/${whileDown.jobId}`]?.state === 'completed', 'the job the page never saw, completed');
    // The states the trim skipped are counted as gaps, with their cause.
    const { gaps } = handle.getSnapshot();
    expect(gaps.ranges.length).toBe(0); // no cursor range was missing: the server's read of BullMQ had the hole
    expect(gaps.resynced).toBeGreaterThanOrEqual(2);
  });

  it('with persistence, killed in the middle of a burst: the server survives and every job ends completed', async () => {
    const redis = await startRedisServer({ appendonly: true });
    cleanups.push(() => redis.dispose());
    const queue = uniqueName('burst');
    const stack = await startStack({ queues: [queue], redisUrl: redis.url, dataLossCheckMs: 500 });
    cleanups.push(() => stack.close());
    const handle = testClient(stack.url).subscribe('document:1');
    await waitFor(() => handle.getSnapshot().state === 'active', 'subscribed');
    const worker = startWorker(queue, async (job) => {
      await job.updateProgress(50);
      return 'done';
    }, redis.url);
    cleanups.push(() => worker.close(true));
    const jobIds: string[] = [];
    for (let index = 0; index < 60; index++) jobIds.push((await stack.server.enqueue(queue, 'quick', { index }, { rooms: ['document:1'] })).jobId);
    const completed = () => jobIds.filter((jobId) => handle.getSnapshot().jobs[`${queue}/${jobId}`]?.state === 'completed').length;
    await waitFor(() => completed() >= 10, 'the burst under way');
    // SIGKILL while batches are being ingested: writes in flight fail; none may go unhandled.
    await redis.kill();
    await redis.start();
    await waitFor(() => completed() === jobIds.length, 'every job completed after the restart', 60_000);
    expect((await (await fetch(`${stack.url}/jobcast/health`)).json()).redis).toBe('up');
  });
});
