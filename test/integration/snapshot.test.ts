import { afterEach, describe, expect, it } from 'vitest';
import { EVENTS, type StatusEvent, type SubscribeAck, type SubscribeOk } from '../../shared/index.js';
import { connectRaw, connected, request, startStack, startWorker, uniqueName, waitFor } from '../support/stack.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('snapshot on subscribe', () => {
  it('shows a job that completed before the page subscribed as completed', async () => {
    const queue = uniqueName('snap');
    const stack = await startStack({ queues: [queue] });
    cleanups.push(() => stack.close());
    const worker = startWorker(queue, async () => 'done');
    cleanups.push(() => worker.close());
    const { jobId } = await stack.server.enqueue(queue, 'early', {}, { rooms: ['document:1'] });
    const health = async () => (await (await fetch(`${stack.url}/jobcast/health`)).json()) as { queues: Array<{ eventsRead: number }> };
    // Wait until the server has ingested the completion, with nobody subscribed.
    await waitFor(async () => {
      const res = await fetch(`${stack.url}/jobcast/rooms/document:1`, { headers: { authorization: 'Bearer user:alice' } });
      const body = (await res.json()) as { jobs: StatusEvent[] };
      return body.jobs.some((e) => e.status.state === 'completed');
    }, 'the room to record the completion');
    // BullMQ wrote added, waiting, active, completed: all read, though the `waiting` that repeats `added` was not sent.
    expect((await health()).queues[0]!.eventsRead).toBeGreaterThanOrEqual(4);

    const socket = connectRaw(stack.url, 'user:alice');
    cleanups.push(() => socket.close());
    await connected(socket);
    const ack = (await request<SubscribeAck>(socket, EVENTS.subscribe, { room: 'document:1' })) as SubscribeOk;
    // The room holds added, active, completed.
    expect(ack).toMatchObject({ ok: true, mode: 'snapshot', room: 'document:1', seq: 3 });
    expect(ack.jobs).toHaveLength(1);
    expect(ack.jobs[0]).toMatchObject({ room: 'document:1', seq: 3, event: 'completed', status: { jobId, state: 'completed' } });
  });

  it('replays what came after the cursor a returning client sends, or resyncs when the epoch differs', async () => {
    const queue = uniqueName('snap');
    const stack = await startStack({ queues: [queue] });
    cleanups.push(() => stack.close());
    const socket = connectRaw(stack.url, 'user:alice');
    cleanups.push(() => socket.close());
    await connected(socket);
    const first = (await request<SubscribeAck>(socket, EVENTS.subscribe, { room: 'document:2' })) as SubscribeOk;
    expect(first.seq).toBe(0);
    const { jobId } = await stack.server.enqueue(queue, 'later', {}, { rooms: ['document:2'] });
    const live: StatusEvent[] = [];
    socket.on(EVENTS.status, (event: StatusEvent) => live.push(event));
    // No worker runs it: `added` is its one event (the `waiting` after it changes nothing).
    await waitFor(() => live.some((e) => e.status.jobId === jobId && e.event === 'added'), 'added');
    const replay = (await request<SubscribeAck>(socket, EVENTS.subscribe, { room: 'document:2', since: { epoch: first.epoch, seq: 0 } })) as SubscribeOk;
    expect(replay).toMatchObject({ mode: 'replay', jobs: [] });
    // Everything after the cursor, in order (a worker-watch warning may follow it).
    expect(replay.events.map((e) => e.seq)).toEqual(Array.from({ length: replay.seq }, (_, index) => index + 1));
    expect(replay.events.slice(0, 1).map((e) => [e.seq, e.event, e.status.jobId])).toEqual([[1, 'added', jobId]]);
    const resync = (await request<SubscribeAck>(socket, EVENTS.subscribe, { room: 'document:2', since: { epoch: 'old-epoch', seq: 1 } })) as SubscribeOk;
    expect(resync).toMatchObject({ mode: 'snapshot', resync: 'epoch-changed' });
    expect(resync.seq).toBeGreaterThanOrEqual(replay.seq);
    expect(resync.jobs.map((e) => e.seq)).toEqual([resync.seq]);
  });
});

describe('HTTP router', () => {
  it('serves health with Redis and each queue reader', async () => {
    const queue = uniqueName('http');
    const stack = await startStack({ queues: [queue] });
    cleanups.push(() => stack.close());
    const res = await fetch(`${stack.url}/jobcast/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; redis: string; queues: Array<{ queue: string; running: boolean; workers: number }> };
    expect(body).toMatchObject({ ok: true, redis: 'up', queues: [{ queue, running: true, workers: 0 }] });
  });

  it('authorizes room snapshots like subscriptions', async () => {
    const queue = uniqueName('http');
    const stack = await startStack({ queues: [queue], channels: { 'document:{id}': (user, { id }) => user.id === 'alice' && id === '1' } });
    cleanups.push(() => stack.close());
    const get = (room: string, token?: string) =>
      fetch(`${stack.url}/jobcast/rooms/${encodeURIComponent(room)}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    expect((await get('document:1')).status).toBe(401);
    const forbidden = await get('document:1', 'user:bob');
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
    const invalid = await get('document_1', 'user:alice');
    expect(invalid.status).toBe(404);
    expect(await invalid.json()).toMatchObject({ error: { code: 'INVALID_ROOM', hint: 'Did you mean "document:1"?' } });
    const ok = await get('document:1', 'user:alice');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ room: 'document:1', seq: 0, jobs: [] });
  });
});
