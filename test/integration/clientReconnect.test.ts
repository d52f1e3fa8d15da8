import { afterEach, describe, expect, it } from 'vitest';
import type { StatusEvent } from '../../shared/index.js';
import { findJob } from '../../client/index.js';
import { freePort } from '../../scripts/redisServer.js';
import { createEnqueuer } from '../../server/index.js';
import { openQueue, startStack, startWorker, testClient, uniqueName, waitFor } from '../support/stack.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});


describe('client against a real server', () => {
  it('shows a subscription rejected by the server with its code and message', async () => {
    const queue = uniqueName('client');
    const stack = await startStack({ queues: [queue], channels: { 'document:{id}': (user) => user.id === 'alice' } });
    cleanups.push(() => stack.close());
    const bob = testClient(stack.url, 'user:bob');
    const handle = bob.subscribe('document:1');
    await waitFor(() => handle.getSnapshot().state === 'rejected', 'rejected');
    expect(handle.getSnapshot().error).toMatchObject({ code: 'FORBIDDEN', message: 'You are not allowed to subscribe to "document:1".' });
    // Near misses of the grammar go to the server, whose hint reaches the page.
    for (const [room, hint] of [['document_1', 'document:1'], ['document/1', 'document:1'], ['document-1', 'document:1'], ['documnet:1', 'document:1']]) {
      const wrong = bob.subscribe(room!);
      await waitFor(() => wrong.getSnapshot().state === 'rejected', `${room} rejected`);
      expect(wrong.getSnapshot().error, room).toMatchObject({ code: 'INVALID_ROOM', hint: `Did you mean "${hint}"?` });
    }
    expect(bob.inspect().log.some((entry) => entry.kind === 'rejected' && entry.code === 'FORBIDDEN')).toBe(true);
  });

  it('reconnects by itself after the server restarts, resubscribes, and receives what happens next', async () => {
    const queue = uniqueName('client');
    const port = await freePort();
    const first = await startStack({ queues: [queue], port });
    let stack = first;
    cleanups.push(() => stack.close());
    const alice = testClient(first.url, 'user:alice');
    const events: StatusEvent[] = [];
    const handle = alice.subscribe('document:1', (event) => events.push(event));
    await waitFor(() => handle.getSnapshot().state === 'active', 'active subscription');
    expect(alice.connection.getSnapshot().state).toBe('connected');

    await first.close();
    await waitFor(() => alice.connection.getSnapshot().state === 'reconnecting', 'reconnecting');
    // Same port, same Redis and key prefix: a restarted deployment.
    stack = await startStack({ queues: [queue], port, keyPrefix: first.keyPrefix });
    await waitFor(() => alice.connection.getSnapshot().state === 'connected', 'reconnected', 30_000);
    await waitFor(() => handle.getSnapshot().state === 'active', 'resubscribed');

    const worker = startWorker(queue, async () => 'done');
    cleanups.push(() => worker.close());
    const { jobId } = await stack.server.enqueue(queue, 'after-restart', {}, { rooms: ['document:1'] });
    await waitFor(() => findJob(handle.getSnapshot().jobs, { queue, jobId })?.state === 'completed', 'completed after restart');
    expect(events.filter((e) => e.status.jobId === jobId).map((e) => e.event)).toEqual(['added', 'active', 'completed']);
    const timeline = alice.connection.getSnapshot().timeline.map((entry) => entry.state);
    expect(timeline).toContain('reconnecting');
    expect(timeline.filter((state) => state === 'connected').length).toBeGreaterThanOrEqual(2);
  });

  it('catches up on what happened while the server was down, through replay', async () => {
    const queue = uniqueName('client');
    const port = await freePort();
    const first = await startStack({ queues: [queue], port });
    let stack = first;
    cleanups.push(() => stack.close());
    const alice = testClient(first.url, 'user:alice');
    const handle = alice.subscribe('document:1');
    await waitFor(() => handle.getSnapshot().state === 'active', 'active subscription');
    await first.close();
    // Jobs run while no jobcast server is up; the next server resumes from the stored stream position.
    const enqueuer = createEnqueuer({ redis: first.redisUrl, keyPrefix: first.keyPrefix });
    cleanups.push(() => enqueuer.close());
    const worker = startWorker(queue, async () => 'done');
    cleanups.push(() => worker.close());
    const { jobId } = await enqueuer.enqueue(queue, 'while-down', {}, { rooms: ['document:1'] });
    const plain = openQueue(queue);
    cleanups.push(() => plain.close());
    await waitFor(async () => (await plain.getJob(jobId))?.finishedOn, 'the job to finish while the server is down');
    stack = await startStack({ queues: [queue], port, keyPrefix: first.keyPrefix });
    await waitFor(() => findJob(handle.getSnapshot().jobs, { queue, jobId })?.state === 'completed', 'completed after the server returns', 30_000);
    const snapshot = handle.getSnapshot();
    // added, active, completed: the `waiting` that repeats `added` is not appended to the room.
    expect(snapshot.seq).toBe(3);
    expect(snapshot.gaps.replayed).toBe(1);
    expect(snapshot.gaps.resynced).toBe(0);
  });
});
