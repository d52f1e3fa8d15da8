import { afterEach, describe, expect, it } from 'vitest';
import { EVENTS, type StatusEvent } from '../../shared/index.js';
import { connectRaw, connected, request, stalledPollingClient, startStack, uniqueName, waitFor } from '../support/stack.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('slow consumers', () => {
  it('disconnects a client that cannot keep up, while the others in its room get every event without waiting for it', async () => {
    const queue = uniqueName('slow');
    const stack = await startStack({ queues: [queue], maxBufferedPackets: 50 });
    cleanups.push(() => stack.close());
    const fast = connectRaw(stack.url, 'user:fast');
    cleanups.push(() => fast.close());
    const received: Array<{ event: StatusEvent; at: number }> = [];
    fast.on(EVENTS.status, (event: StatusEvent) => received.push({ event, at: Date.now() }));
    await connected(fast);
    expect(await request(fast, EVENTS.subscribe, { room: 'document:1' })).toMatchObject({ ok: true });
    const slow = await stalledPollingClient(stack.url, 'user:slow', 'document:1');
    expect(slow.subscribed).toBe(true);
    expect(stack.server.io.of('/').sockets.has(slow.socketId)).toBe(true);

    // No worker runs them: each job sends only `added` (the `waiting` after it changes nothing): 120 events, past the 50-packet bound.
    const jobs = 120;
    for (let i = 0; i < jobs; i++) await stack.server.enqueue(queue, 'burst', {}, { rooms: ['document:1'] });
    await waitFor(() => received.length === jobs, 'the fast client to receive every event');
    await waitFor(() => !stack.server.io.of('/').sockets.has(slow.socketId), 'the slow client to be disconnected');

    expect(received.map(({ event }) => event.seq)).toEqual(Array.from({ length: jobs }, (_, index) => index + 1));
    // Its session is gone: a late poll is refused, and a real client would reconnect and resync from its cursor.
    expect((await slow.poll()).status).toBe(400);
    const latencies = received.map(({ event, at }) => at - event.at).sort((a, b) => a - b);
    console.log(
      `slow-consumer: fast client latency p50 ${latencies[Math.floor(latencies.length / 2)]} ms, max ${latencies.at(-1)} ms over ${latencies.length} events`,
    );
  });
});
