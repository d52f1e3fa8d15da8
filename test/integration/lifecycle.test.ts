import { afterEach, describe, expect, it } from 'vitest';
import { UnrecoverableError, type Worker } from 'bullmq';
import type { Socket } from 'socket.io-client';
import { EVENTS, type StatusEvent, type SubscribeAck } from '../../shared/index.js';
import { connectRaw, connected, openQueue, request, startStack, startWorker, uniqueName, waitFor, type TestStack } from '../support/stack.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup() {
  const queue = uniqueName('lifecycle');
  const stack = await startStack({ queues: [queue] });
  cleanups.push(() => stack.close());
  return { queue, stack };
}

/** A subscribed raw client that records every status event it receives. */
async function watcher(stack: TestStack, room: string, token = 'user:alice') {
  const socket = connectRaw(stack.url, token);
  cleanups.push(() => socket.close());
  const events: StatusEvent[] = [];
  socket.on(EVENTS.status, (event: StatusEvent) => events.push(event));
  await connected(socket);
  const ack = await request<SubscribeAck>(socket, EVENTS.subscribe, { room });
  expect(ack.ok).toBe(true);
  return { socket, events };
}

const states = (events: StatusEvent[], jobId: string) => events.filter((e) => e.status.jobId === jobId).map((e) => e.event);

describe('lifecycle events', () => {
  it('pushes added, active, progress and completed to the job room and to no other room (not the waiting that repeats added)', async () => {
    const { queue, stack } = await setup();
    const mine = await watcher(stack, 'document:1');
    const other = await watcher(stack, 'document:2');
    const worker = startWorker(queue, async (job) => {
      await job.updateProgress(50);
      return { ok: true };
    });
    cleanups.push(() => worker.close());
    const { jobId } = await stack.server.enqueue(queue, 'summarize', { text: 'x' }, { rooms: ['document:1'] });
    await waitFor(() => states(mine.events, jobId).includes('completed'), 'completed');
    // BullMQ's `waiting` right after `added` changes nothing on the page: it is not sent.
    expect(states(mine.events, jobId)).toEqual(['added', 'active', 'progress', 'completed']);
    const progress = mine.events.find((e) => e.event === 'progress')!;
    expect(progress.status.progress).toBe(50);
    expect(progress.status.state).toBe('active');
    const completed = mine.events.at(-1)!;
    expect(completed.status).toMatchObject({ state: 'completed', attempt: 1, maxAttempts: 3, queue });
    expect(completed.status.finishedAt).toBeGreaterThan(0);
    // Cursor: one step per event, no holes.
    expect(mine.events.map((e) => e.seq)).toEqual(mine.events.map((_, index) => index + 1));
    expect(other.events).toEqual([]);
  });

  it('reports a failed attempt that will retry with its backoff, then the final failure, delivered once', async () => {
    const { queue, stack } = await setup();
    const { events } = await watcher(stack, 'document:3');
    const worker = startWorker(queue, async () => {
      throw new Error('upstream said 503 with secret token abc');
    });
    cleanups.push(() => worker.close());
    const { jobId } = await stack.server.enqueue(queue, 'summarize', {}, {
      rooms: ['document:3'],
      attempts: 2,
      backoff: { type: 'fixed', delay: 300 },
    });
    await waitFor(() => states(events, jobId).includes('failed'), 'the final failure');
    // The next attempt is attempt 2 of 2 while the backoff runs.
    const retrying = events.find((e) => e.event === 'retrying')!;
    expect(retrying.status).toMatchObject({ state: 'delayed', willRetry: true, attempt: 2, maxAttempts: 2 });
    expect(retrying.status.nextAttemptAt).toBeGreaterThan(retrying.status.updatedAt - 1_000);
    const failed = events.find((e) => e.event === 'failed')!;
    expect(failed.status).toMatchObject({ state: 'failed', willRetry: false, attempt: 2, failure: { code: 'JOB_FAILED' } });
    expect(JSON.stringify(events)).not.toContain('secret token');
    // A job that runs again after its final failure is another job: once the failure is in, the room says nothing more of this one.
    await stack.server.enqueue(queue, 'marker', {}, { rooms: ['document:3'], delay: 60_000 });
    await waitFor(() => events.some((e) => e.status.name === 'marker'), 'a later job');
    expect(states(events, jobId).filter((state) => state === 'failed' || state === 'retries-exhausted')).toEqual(['failed']);
  });

  it('reports an immediate retry (no backoff) as retrying back to waiting', async () => {
    const { queue, stack } = await setup();
    const { events } = await watcher(stack, 'document:4');
    let calls = 0;
    const worker = startWorker(queue, async () => {
      if (++calls === 1) throw new Error('flaky');
      return 'ok';
    });
    cleanups.push(() => worker.close());
    const { jobId } = await stack.server.enqueue(queue, 'summarize', {}, { rooms: ['document:4'], attempts: 2, backoff: undefined });
    await waitFor(() => states(events, jobId).includes('completed'), 'completed');
    expect(events.find((e) => e.event === 'retrying')?.status).toMatchObject({ state: 'waiting', willRetry: true });
  });

  it('reports delayed jobs with their due time, and removed jobs', async () => {
    const { queue, stack } = await setup();
    const { events } = await watcher(stack, 'document:5');
    const { jobId } = await stack.server.enqueue(queue, 'later', {}, { rooms: ['document:5'], delay: 60_000 });
    await waitFor(() => states(events, jobId).includes('delayed'), 'delayed');
    expect(events.find((e) => e.event === 'delayed')!.status.nextAttemptAt).toBeGreaterThan(Date.now() + 30_000);
    const plain = openQueue(queue);
    cleanups.push(() => plain.close());
    await (await plain.getJob(jobId))!.remove();
    await waitFor(() => states(events, jobId).includes('removed'), 'removed');
    expect(events.at(-1)!.status.state).toBe('removed');
  });

  it('reports an unrecoverable error as final at once, and a stalled job as stalled', async () => {
    const { queue, stack } = await setup();
    const { events } = await watcher(stack, 'document:6');
    const worker = startWorker(queue, async (job) => {
      if (job.name === 'broken') throw new UnrecoverableError('bad input');
      // Never finishes and never renews its lock: the worker below is closed without waiting.
      await new Promise(() => undefined);
    });
    const broken = await stack.server.enqueue(queue, 'broken', {}, { rooms: ['document:6'], attempts: 5 });
    await waitFor(() => states(events, broken.jobId).includes('failed'), 'failed');
    expect(events.find((e) => e.event === 'failed')!.status).toMatchObject({ attempt: 1, maxAttempts: 5, willRetry: false });

    const hung = await stack.server.enqueue(queue, 'hang', {}, { rooms: ['document:6'], attempts: 1 });
    await waitFor(() => states(events, hung.jobId).includes('active'), 'active');
    await worker.close(true);
    // A second worker's stall checker notices the dead lock.
    const checker: Worker = startWorker(queue, async () => 'ok');
    cleanups.push(() => checker.close());
    await waitFor(() => states(events, hung.jobId).includes('stalled'), 'stalled', 40_000);
    expect(events.find((e) => e.event === 'stalled')!.status.state).toBe('stalled');
  });

  it('reports a deduplicated job as pointing to the job that will run', async () => {
    const { queue, stack } = await setup();
    const { events } = await watcher(stack, 'document:7');
    const first = await stack.server.enqueue(queue, 'once', {}, { rooms: ['document:7'], deduplication: { id: 'doc-7' } });
    const second = await stack.server.enqueue(queue, 'once', {}, { rooms: ['document:7'], deduplication: { id: 'doc-7' } });
    await waitFor(() => states(events, second.jobId).includes('deduplicated'), 'deduplicated');
    expect(events.find((e) => e.event === 'deduplicated')!.status).toMatchObject({ state: 'deduplicated', deduplicatedBy: first.jobId });
    expect(second.deduplicatedBy).toBe(first.jobId);
  });

  it('shows a job that debounce dropped without any BullMQ event as deduplicated', async () => {
    const { queue, stack } = await setup();
    const { events } = await watcher(stack, 'document:10');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const worker = startWorker(queue, async () => {
      await gate;
      return 'done';
    });
    cleanups.push(() => worker.close(true));
    const deduplication = { id: 'doc-10', ttl: 10_000, extend: true, replace: true };
    const first = await stack.server.enqueue(queue, 'debounced', {}, { rooms: ['document:10'], deduplication, delay: 300 });
    await waitFor(() => states(events, first.jobId).includes('active'), 'the first job running');
    const second = await stack.server.enqueue(queue, 'debounced', {}, { rooms: ['document:10'], deduplication, delay: 300 });
    expect(second.deduplicatedBy).toBe(first.jobId);
    await waitFor(() => events.some((e) => e.status.jobId === second.jobId && e.status.state === 'deduplicated'), 'the dropped job shown deduplicated');
    expect(events.find((e) => e.status.jobId === second.jobId)!.status.deduplicatedBy).toBe(first.jobId);
    release();
  });

  it('routes a job added with plain queue.add after routeJob named its rooms', async () => {
    const { queue, stack } = await setup();
    const { events } = await watcher(stack, 'document:8');
    const plain = openQueue(queue);
    cleanups.push(() => plain.close());
    await stack.server.routeJob(queue, 'plain-1', { rooms: ['document:8'], correlationId: 'req-8' });
    const job = await plain.add('plain', { text: 'hello' }, { jobId: 'plain-1' });
    await waitFor(() => events.some((e) => e.status.jobId === job.id && e.status.state === 'waiting'), 'waiting');
    expect(events[0]!.status).toMatchObject({ jobId: 'plain-1', correlationId: 'req-8', name: 'plain' });
  });

  it('still reaches the room on completion when the job is removed on completion', async () => {
    const { queue, stack } = await setup();
    const { events } = await watcher(stack, 'document:9');
    const worker = startWorker(queue, async () => 'done');
    cleanups.push(() => worker.close());
    const { jobId } = await stack.server.enqueue(queue, 'gone', {}, { rooms: ['document:9'], removeOnComplete: true });
    await waitFor(() => states(events, jobId).includes('completed'), 'completed');
    const plain = openQueue(queue);
    cleanups.push(() => plain.close());
    expect(await plain.getJob(jobId)).toBeUndefined();
    expect(events.at(-1)!.status).toMatchObject({ state: 'completed', attempt: 1 });
  });
});
