import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { findJob } from '../../client/index.js';
import { socketRoom } from '../../server/socketHandlers.js';
import { startPausableProxy } from '../client/support/pausableProxy.js';
import { EVENTS, HeartbeatAckSchema } from '../../shared/index.js';
import { connectRaw, connected, request, startStack, startWorker, testClient, uniqueName, waitFor } from '../support/stack.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A worker whose jobs report 10 % and wait for `release()` before finishing. */
function gatedWorker(queue: string) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const worker = startWorker(queue, async (job) => {
    await job.updateProgress(10);
    await gate;
    return 'done';
  });
  cleanups.push(() => worker.close(true));
  return { release };
}

describe('the client heartbeat against a real server', () => {
  it('finds a connection that stalled without closing, reconnects, and catches up on what it missed', async () => {
    const queue = uniqueName('heartbeat');
    const stack = await startStack({ queues: [queue] });
    cleanups.push(() => stack.close());
    const proxy = await startPausableProxy((stack.httpServer.address() as AddressInfo).port);
    cleanups.push(() => proxy.close());
    const alice = testClient(proxy.url);
    const handle = alice.subscribe('document:1');
    await waitFor(() => handle.getSnapshot().state === 'active', 'subscribed');
    const { release } = gatedWorker(queue);
    const { jobId } = await stack.server.enqueue(queue, 'long', {}, { rooms: ['document:1'] });
    await waitFor(() => findJob(handle.getSnapshot().jobs, { queue, jobId })?.progress === 10, 'the job running on screen');

    proxy.pause();
    // Socket.IO's own ping would need its 25 s interval plus 20 s timeout; the heartbeat is what notices here.
    await waitFor(() => alice.connection.getSnapshot().state === 'reconnecting', 'the dead connection noticed', 30_000);
    expect(alice.connection.getSnapshot().reason).toBe('heartbeat timeout');
    expect(handle.getSnapshot().state).toBe('pending');
    release();
    proxy.resume();
    await waitFor(() => findJob(handle.getSnapshot().jobs, { queue, jobId })?.state === 'completed', 'completed after the stall', 40_000);
    expect(handle.getSnapshot().gaps.replayed).toBeGreaterThanOrEqual(1);
    expect(alice.inspect().log.some((entry) => entry.kind === 'heartbeat' && entry.message === 'heartbeat timeout')).toBe(true);
  });

  it('replays an event no later event would reveal, on a connection that stays healthy', async () => {
    const queue = uniqueName('heartbeat');
    const stack = await startStack({ queues: [queue] });
    cleanups.push(() => stack.close());
    const alice = testClient(stack.url);
    const handle = alice.subscribe('document:1');
    await waitFor(() => handle.getSnapshot().state === 'active', 'subscribed');
    const { release } = gatedWorker(queue);
    const { jobId } = await stack.server.enqueue(queue, 'long', {}, { rooms: ['document:1'] });
    await waitFor(() => findJob(handle.getSnapshot().jobs, { queue, jobId })?.progress === 10, 'the job running on screen');
    const seqBefore = handle.getSnapshot().seq;

    // The server loses the socket's place in the room (as a lost broadcast would): the last events never reach it.
    for (const socket of stack.server.io.of('/').sockets.values()) await socket.leave(socketRoom('document:1'));
    release();
    await waitFor(() => findJob(handle.getSnapshot().jobs, { queue, jobId })?.state === 'completed', 'completed through the heartbeat', 30_000);
    const snapshot = handle.getSnapshot();
    expect(snapshot.seq).toBeGreaterThan(seqBefore);
    expect(snapshot.gaps).toMatchObject({ replayed: 1, resynced: 0 });
    expect(snapshot.gaps.ranges[0]).toMatchObject({ from: seqBefore + 1, outcome: 'replayed' });
    expect(alice.connection.getSnapshot().state).toBe('connected');
    const replay = alice.inspect().log.find((entry) => entry.kind === 'gap' && entry.detail?.startsWith('replaying'));
    expect(replay?.detail).toContain('heartbeat: server at');
  });

  it('tells a connection which of its rooms the server no longer holds, and the room subscribes again', async () => {
    const queue = uniqueName('heartbeat');
    const stack = await startStack({ queues: [queue] });
    cleanups.push(() => stack.close());
    const alice = testClient(stack.url);
    const handle = alice.subscribe('document:1');
    await waitFor(() => handle.getSnapshot().state === 'active', 'subscribed');
    const transitions: string[] = [];
    handle.onState((transition) => transitions.push(`${transition.from}→${transition.to}: ${transition.reason}`));
    for (const socket of stack.server.io.of('/').sockets.values()) {
      (socket.data as { rooms: Set<string> }).rooms.delete('document:1');
      await socket.leave(socketRoom('document:1'));
    }
    await waitFor(() => transitions.some((entry) => entry.startsWith('subscribing→subscribed')), 'subscribed again', 30_000);
    expect(transitions[0]).toBe('subscribed→subscribing: heartbeat: not subscribed on the server');
    const worker = startWorker(queue, async () => 'done');
    cleanups.push(() => worker.close());
    const { jobId } = await stack.server.enqueue(queue, 'after', {}, { rooms: ['document:1'] });
    await waitFor(() => findJob(handle.getSnapshot().jobs, { queue, jobId })?.state === 'completed', 'live again');
  });
});

describe('the server heartbeat handler', () => {
  it('answers with the cursor of the rooms the socket is subscribed to, and only of those', async () => {
    const queue = uniqueName('heartbeat');
    const stack = await startStack({ queues: [queue] });
    cleanups.push(() => stack.close());
    const worker = startWorker(queue, async () => 'done');
    cleanups.push(() => worker.close());
    const other = testClient(stack.url, 'user:bob').subscribe('document:2');
    await waitFor(() => other.getSnapshot().state === 'active', 'another subscriber of document:2');
    await stack.server.enqueue(queue, 'elsewhere', {}, { rooms: ['document:2'] });
    // added, active, completed (the `waiting` that repeats `added` is not sent).
    await waitFor(() => other.getSnapshot().seq >= 3, 'document:2 has events');

    const socket = connectRaw(stack.url, 'user:alice');
    cleanups.push(() => socket.disconnect());
    await connected(socket);
    const subscribed = await request(socket, EVENTS.subscribe, { room: 'document:1' });
    expect(subscribed.ok).toBe(true);
    const answer = HeartbeatAckSchema.parse(
      await request(socket, EVENTS.heartbeat, { rooms: [{ room: 'document:1', epoch: subscribed.epoch, seq: 0 }, { room: 'document:2', seq: 0 }] }),
    );
    expect(answer).toMatchObject({ ok: true, rooms: [{ room: 'document:1', subscribed: true, epoch: subscribed.epoch, seq: subscribed.seq }, { room: 'document:2', subscribed: false }] });
    expect(answer.ok && answer.rooms[1]).toEqual({ room: 'document:2', subscribed: false });
    expect(await request(socket, EVENTS.heartbeat, { rooms: 'all' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });
});
