import { afterEach, describe, expect, it } from 'vitest';
import { EVENTS, type StatusEvent } from '../../shared/index.js';
import { connected, connectRaw, request, startStack, startWorker, testClient, uniqueName, waitFor } from '../support/stack.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});


/**
 * Enqueues `count` jobs in `room`. Run by a worker that reports progress once, each makes 4 events:
 * added, active, progress, completed (BullMQ's `waiting` right after `added` changes nothing and is
 * not sent); a job no worker runs makes only `added`.
 */
async function runJobs(stack: Awaited<ReturnType<typeof startStack>>, queue: string, room: string, count: number) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await stack.server.enqueue(queue, 'job', { i }, { rooms: [room] })).jobId);
  return ids;
}

describe('recovery after a client was away', () => {
  it('delivers all 40 events that went out while the client was offline, in order and once each', async () => {
    const queue = uniqueName('recovery');
    const stack = await startStack({ queues: [queue] });
    cleanups.push(() => stack.close());
    const alice = testClient(stack.url);
    const received: StatusEvent[] = [];
    const handle = alice.subscribe('document:1', (event) => received.push(event));
    await waitFor(() => handle.getSnapshot().state === 'active', 'subscribed');

    alice.disconnect();
    await waitFor(() => alice.connection.getSnapshot().state === 'disconnected', 'offline');
    const worker = startWorker(queue, async (job) => {
      await job.updateProgress(50);
      return 'done';
    });
    cleanups.push(() => worker.close());
    const ids = await runJobs(stack, queue, 'document:1', 10);
    const total = ids.length * 4; // added, active, progress, completed
    const roomSeq = async () => ((await (await fetch(`${stack.url}/jobcast/rooms/document:1`, { headers: { authorization: 'Bearer user:alice' } })).json()) as { seq: number }).seq;
    await waitFor(async () => (await roomSeq()) === total, `the server to publish ${total} events`);
    expect(received).toEqual([]);

    alice.connect();
    await waitFor(() => handle.getSnapshot().seq === total, 'caught up');
    expect(received.map((event) => event.seq)).toEqual(Array.from({ length: total }, (_, index) => index + 1));
    for (const id of ids) {
      expect(received.filter((e) => e.status.jobId === id).map((e) => e.event)).toEqual(['added', 'active', 'progress', 'completed']);
    }
    const { gaps } = handle.getSnapshot();
    expect(gaps).toMatchObject({ detected: 1, replayed: 1, resynced: 0 });
    expect(gaps.ranges[0]).toMatchObject({ from: 1, to: total, outcome: 'replayed' });
    expect(alice.inspect().rooms[0]!.counters.duplicates).toBe(0);
  });

  it('resyncs exactly once, counted, when the client was away longer than the history, and ends on the true state', async () => {
    const queue = uniqueName('recovery');
    const stack = await startStack({ queues: [queue], historySize: 10 });
    cleanups.push(() => stack.close());
    const alice = testClient(stack.url);
    const handle = alice.subscribe('document:2');
    await waitFor(() => handle.getSnapshot().state === 'active', 'subscribed');
    alice.disconnect();
    const worker = startWorker(queue, async () => 'done');
    cleanups.push(() => worker.close());
    const ids = await runJobs(stack, queue, 'document:2', 10);
    const plainDone = async () => {
      const res = await fetch(`${stack.url}/jobcast/rooms/document:2`, { headers: { authorization: 'Bearer user:alice' } });
      const body = (await res.json()) as { jobs: StatusEvent[] };
      return body.jobs.filter((e) => e.status.state === 'completed').length === ids.length;
    };
    await waitFor(plainDone, 'all jobs completed on the server');
    alice.connect();
    await waitFor(() => ids.every((id) => handle.getSnapshot().jobs[`${queue}/${id}`]?.state === 'completed'), 'true final state');
    const { gaps } = handle.getSnapshot();
    expect(gaps).toMatchObject({ detected: 1, replayed: 0, resynced: 1 });
    expect(alice.inspect().log.filter((entry) => entry.kind === 'resync')).toHaveLength(1);
  });

  it('fills a gap seen while connected by asking for the missing range', async () => {
    const queue = uniqueName('recovery');
    const stack = await startStack({ queues: [queue] });
    cleanups.push(() => stack.close());
    const alice = testClient(stack.url);
    const received: StatusEvent[] = [];
    const handle = alice.subscribe('document:3', (event) => received.push(event));
    await waitFor(() => handle.getSnapshot().state === 'active', 'subscribed');
    // Drop the next two broadcasts on the floor, as a node that crashed between storing and emitting would.
    const adapter = stack.server.io.of('/').adapter;
    const broadcast = adapter.broadcast.bind(adapter);
    let dropped = 0;
    adapter.broadcast = (packet, options) => {
      if (packet.data?.[0] === EVENTS.status && dropped < 2) {
        dropped++;
        return;
      }
      broadcast(packet, options);
    };
    // No worker runs these jobs: each sends one event, its `added`.
    await runJobs(stack, queue, 'document:3', 2);
    await waitFor(() => dropped === 2, 'two broadcasts dropped');
    // The next event reveals the hole (unless the heartbeat, which reports the server's cursor, found it first).
    await runJobs(stack, queue, 'document:3', 1);
    await waitFor(() => handle.getSnapshot().seq === 3, 'the gap filled');
    expect(dropped).toBe(2);
    expect(received.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(handle.getSnapshot().gaps).toMatchObject({ detected: 1, replayed: 1, resynced: 0 });
  });
});

describe('several server nodes', () => {
  it('delivers every event exactly once to clients on either node', async () => {
    const queue = uniqueName('nodes');
    const first = await startStack({ queues: [queue], nodeId: 'node-a' });
    cleanups.push(() => first.close());
    const second = await startStack({ queues: [queue], keyPrefix: first.keyPrefix, nodeId: 'node-b' });
    cleanups.push(() => second.close());
    const clients = await Promise.all(
      [first, second, first, second].map(async (stack) => {
        const socket = connectRaw(stack.url, 'user:alice');
        cleanups.push(() => socket.close());
        const events: StatusEvent[] = [];
        socket.on(EVENTS.status, (event: StatusEvent) => events.push(event));
        await connected(socket);
        expect(await request(socket, EVENTS.subscribe, { room: 'document:9' })).toMatchObject({ ok: true });
        return events;
      }),
    );
    const worker = startWorker(queue, async (job) => {
      await job.updateProgress(10);
      return 'ok';
    });
    cleanups.push(() => worker.close());
    const ids = await runJobs(first, queue, 'document:9', 4);
    for (const events of clients) {
      await waitFor(() => ids.every((id) => events.some((e) => e.status.jobId === id && e.event === 'completed')), 'all completions');
    }
    await new Promise((resolve) => setTimeout(resolve, 300)); // room for a duplicate to show up, if any were sent
    const bySeq = (events: StatusEvent[]) => [...events].sort((a, b) => a.seq - b.seq);
    for (const events of clients) {
      // Wire level, before any client-side dedupe: each seq exactly once, no holes. (A node that
      // was not first to ingest may pass events of different jobs in another order; the SDK
      // puts them back in cursor order.)
      expect(bySeq(events).map((e) => e.seq)).toEqual(Array.from({ length: ids.length * 4 }, (_, index) => index + 1));
      for (const id of ids) {
        const ofJob = events.filter((e) => e.status.jobId === id);
        expect(ofJob.map((e) => e.seq)).toEqual([...ofJob.map((e) => e.seq)].sort((a, b) => a - b));
      }
    }
    expect(JSON.stringify(bySeq(clients[0]!))).toBe(JSON.stringify(bySeq(clients[1]!)));
  });
});
