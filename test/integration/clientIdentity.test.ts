import { afterEach, describe, expect, it } from 'vitest';
import { UnrecoverableError } from 'bullmq';
import { findJob } from '../../client/index.js';
import { startRedisServer } from '../../scripts/redisServer.js';
import { openQueue, startStack, startWorker, testClient, uniqueName, waitFor } from '../support/stack.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('job identity on the client', () => {
  it('shows the same job id of two queues in one room as two jobs, live and in a later snapshot', async () => {
    const imports = uniqueName('imports');
    const thumbnails = uniqueName('thumbnails');
    const stack = await startStack({ queues: [imports, thumbnails] });
    cleanups.push(() => stack.close());
    const alice = testClient(stack.url);
    const handle = alice.subscribe('document:3');
    await waitFor(() => handle.getSnapshot().state === 'active', 'subscribed');
    const failing = startWorker(imports, async () => {
      throw new UnrecoverableError('bad file');
    });
    const working = startWorker(thumbnails, async () => 'done');
    cleanups.push(() => failing.close(), () => working.close());
    await stack.server.enqueue(imports, 'import', {}, { rooms: ['document:3'], jobId: 'job-1', attempts: 1 });
    await stack.server.enqueue(thumbnails, 'thumbnail', {}, { rooms: ['document:3'], jobId: 'job-1' });
    const both = (jobs: ReturnType<typeof handle.getSnapshot>['jobs']) =>
      findJob(jobs, { queue: imports, jobId: 'job-1' })?.state === 'failed' && findJob(jobs, { queue: thumbnails, jobId: 'job-1' })?.state === 'completed';
    await waitFor(() => both(handle.getSnapshot().jobs), 'both jobs finished on screen');
    expect(Object.keys(handle.getSnapshot().jobs).sort()).toEqual([`${imports}/job-1`, `${thumbnails}/job-1`].sort());
    expect(handle.getSnapshot().jobs[`${imports}/job-1`]?.failure?.code).toBeDefined();

    const late = testClient(stack.url, 'user:alice').subscribe('document:3');
    await waitFor(() => late.getSnapshot().state === 'active', 'the late subscriber');
    expect(both(late.getSnapshot().jobs)).toBe(true);
  });

  it('replaces a finished job by the next job that reuses its id, inheriting nothing', async () => {
    const queue = uniqueName('reuse');
    const stack = await startStack({ queues: [queue] });
    cleanups.push(() => stack.close());
    const alice = testClient(stack.url);
    const handle = alice.subscribe('document:4');
    await waitFor(() => handle.getSnapshot().state === 'active', 'subscribed');
    let runs = 0;
    const worker = startWorker(queue, async (job) => {
      runs += 1;
      if (runs === 1) {
        await job.updateProgress(60);
        return 'first';
      }
      return new Promise(() => undefined); // the second run stays active
    });
    cleanups.push(() => worker.close(true));
    await stack.server.enqueue(queue, 'first', {}, { rooms: ['document:4'], jobId: 'report', removeOnComplete: true });
    await waitFor(() => findJob(handle.getSnapshot().jobs, { queue, jobId: 'report' })?.state === 'completed', 'the first run completed');
    const first = findJob(handle.getSnapshot().jobs, { queue, jobId: 'report' })!;
    expect(first.progress).toBe(60);
    const plain = openQueue(queue);
    cleanups.push(() => plain.close());
    await waitFor(async () => (await plain.getJob('report')) === undefined, 'the first run removed');

    await stack.server.enqueue(queue, 'second', {}, { rooms: ['document:4'], jobId: 'report' });
    await waitFor(() => findJob(handle.getSnapshot().jobs, { queue, jobId: 'report' })?.state === 'active', 'the second run active');
    const second = findJob(handle.getSnapshot().jobs, { queue, jobId: 'report' })!;
    expect(second.incarnation).not.toBe(first.incarnation);
    expect(second.name).toBe('second');
    expect(second.progress).toBeUndefined();
    expect(second.attempt).toBe(1);
    expect(Object.keys(handle.getSnapshot().jobs)).toEqual([`${queue}/report`]);
  });
});

describe('an epoch change on the client', () => {
  it('keeps the jobs that had finished (marked as carried over) and shows the unfinished one as unknown', async () => {
    const redis = await startRedisServer({ appendonly: false });
    cleanups.push(() => redis.dispose());
    const queue = uniqueName('epoch');
    const stack = await startStack({ queues: [queue], redisUrl: redis.url, dataLossCheckMs: 500 });
    cleanups.push(() => stack.close());
    const alice = testClient(stack.url);
    const handle = alice.subscribe('document:5');
    await waitFor(() => handle.getSnapshot().state === 'active', 'subscribed');
    const worker = startWorker(
      queue,
      async (job) => {
        if (job.name === 'fails') throw new UnrecoverableError('no');
        if (job.name === 'hangs') {
          await job.updateProgress(30);
          return new Promise(() => undefined);
        }
        return 'done';
      },
      redis.url,
    );
    cleanups.push(() => worker.close(true));
    const done = await stack.server.enqueue(queue, 'done', {}, { rooms: ['document:5'] });
    const failed = await stack.server.enqueue(queue, 'fails', {}, { rooms: ['document:5'], attempts: 1 });
    const hangs = await stack.server.enqueue(queue, 'hangs', {}, { rooms: ['document:5'] });
    const job = (id: string) => findJob(handle.getSnapshot().jobs, { queue, jobId: id });
    await waitFor(() => job(done.jobId)?.state === 'completed' && job(failed.jobId)?.state === 'failed' && job(hangs.jobId)?.progress === 30, 'all three on screen');
    const epochBefore = handle.getSnapshot().epoch!;

    await redis.kill();
    await redis.start();
    await waitFor(() => job(hangs.jobId)?.state === 'unknown', 'the lost job shown as unknown', 40_000);
    const after = handle.getSnapshot();
    expect(after.epoch).not.toBe(epochBefore);
    expect(job(done.jobId)).toMatchObject({ state: 'completed', carriedOver: { fromEpoch: epochBefore, toEpoch: after.epoch, lastState: 'completed' } });
    expect(job(failed.jobId)).toMatchObject({ state: 'failed', carriedOver: { fromEpoch: epochBefore, lastState: 'failed' } });
    expect(job(hangs.jobId)).toMatchObject({ progress: 30, carriedOver: { fromEpoch: epochBefore, lastState: 'active' } });
  });
});
