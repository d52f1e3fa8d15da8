import { afterEach, describe, expect, it } from 'vitest';
import { EVENTS, RoomDebugReportSchema, ServerDebugReportSchema } from '../../shared/index.js';
import { connectRaw, connected, openQueue, request, startStack, startWorker, uniqueName, waitFor, type TestStack } from '../support/stack.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const debugGet = (stack: TestStack, path: string, token = 'user:dev') =>
  fetch(`${stack.url}/jobcast${path}`, { headers: { authorization: `Bearer ${token}` } });

async function subscriber(stack: TestStack, room: string) {
  const socket = connectRaw(stack.url, 'user:alice');
  cleanups.push(() => socket.close());
  await connected(socket);
  return { socket, answer: await request(socket, EVENTS.subscribe, { room }) };
}

describe('debug endpoints', () => {
  it('are refused to users without debug access', async () => {
    const stack = await startStack({ queues: [uniqueName('debug')], canDebug: (user) => user.id === 'dev' });
    cleanups.push(() => stack.close());
    const denied = await debugGet(stack, '/debug', 'user:alice');
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect((await debugGet(stack, '/debug/rooms/document:1', 'user:alice')).status).toBe(403);
    expect((await debugGet(stack, '/debug', 'nobody')).status).toBe(401);
  });

  it('narrows a room report to one job: all its events, however old, and its failure text for debug users', async () => {
    const queue = uniqueName('debug');
    const stack = await startStack({ queues: [queue], canDebug: (user) => user.id === 'dev' });
    cleanups.push(() => stack.close());
    await subscriber(stack, 'document:1');
    const worker = startWorker(queue, async (job) => {
      if (job.name === 'fragile') throw new Error('card declined by the bank (code 51)');
      return 'ok';
    });
    cleanups.push(() => worker.close());
    const { jobId } = await stack.server.enqueue(queue, 'fragile', {}, { rooms: ['document:1'], attempts: 1 });
    const report = async (path: string) => RoomDebugReportSchema.parse(await (await debugGet(stack, path)).json());
    await waitFor(async () => (await report('/debug/rooms/document:1')).recent.some((event) => event.status.state === 'failed'), 'the failure');
    // Ten later jobs push the failed one out of the room's last 20 events. Each job sends three
    // (added, active, then completed or failed): the `waiting` that repeats `added` is not sent.
    const later = [];
    for (let index = 0; index < 10; index++) later.push((await stack.server.enqueue(queue, 'fine', {}, { rooms: ['document:1'] })).jobId);
    await waitFor(async () => (await report('/debug/rooms/document:1')).seq >= 3 + later.length * 3, 'the later jobs');
    expect((await report('/debug/rooms/document:1')).recent.some((event) => event.status.jobId === jobId)).toBe(false);

    const narrowed = await report(`/debug/rooms/document:1?job=${jobId}`);
    expect(narrowed.recent.filter((event) => event.status.jobId === jobId).map((event) => event.event)).toEqual(['added', 'active', 'failed']);
    expect(narrowed.job).toMatchObject({ queue, jobId, state: 'failed', attemptsMade: 1, failedReason: 'card declined by the bank (code 51)' });
    expect(narrowed.job?.stacktrace).toContain('card declined');
    // Pages never see the text: the public status has only the safe failure.
    expect(JSON.stringify(narrowed.recent)).not.toContain('code 51');
    expect((await debugGet(stack, `/debug/rooms/document:1?job=${jobId}`, 'user:alice')).status).toBe(403);
  });

  it('finds the failure text of a job whose record removeOnFail deleted, in its last failed event', async () => {
    const queue = uniqueName('debug-gone');
    const stack = await startStack({ queues: [queue], canDebug: (user) => user.id === 'dev' });
    cleanups.push(() => stack.close());
    await subscriber(stack, 'document:2');
    const worker = startWorker(queue, async () => {
      throw new Error('ledger row 7 is locked');
    });
    cleanups.push(() => worker.close());
    const { jobId } = await stack.server.enqueue(queue, 'gone', {}, { rooms: ['document:2'], attempts: 1, removeOnFail: true });
    const report = async () => RoomDebugReportSchema.parse(await (await debugGet(stack, `/debug/rooms/document:2?job=${jobId}&queue=${queue}`)).json());
    await waitFor(async () => (await report()).recent.some((event) => event.status.jobId === jobId && event.status.state === 'failed'), 'the failure');
    expect((await report()).job).toEqual({ queue, jobId, state: 'unknown', failedReason: 'ledger row 7 is locked' });
  });

  it('reports what a room was sent, to how many subscribers, and its recent events', async () => {
    const queue = uniqueName('debug');
    const stack = await startStack({ queues: [queue], canDebug: (user) => user.id === 'dev' });
    cleanups.push(() => stack.close());
    await subscriber(stack, 'document:1');
    const worker = startWorker(queue, async () => 'ok');
    cleanups.push(() => worker.close());
    const { jobId } = await stack.server.enqueue(queue, 'job', {}, { rooms: ['document:1'] });
    // added, active, completed: the `waiting` that repeats `added` is not sent.
    await waitFor(async () => RoomDebugReportSchema.parse(await (await debugGet(stack, '/debug/rooms/document:1')).json()).seq === 3, 'three events');
    const report = RoomDebugReportSchema.parse(await (await debugGet(stack, '/debug/rooms/document:1')).json());
    expect(report.stats).toMatchObject({ broadcasts: 3, delivered: 3, unheard: 0, subscribers: 1, lastSeq: 3 });
    expect(report.recent.map((event) => [event.seq, event.event, event.status.jobId])).toEqual([
      [1, 'added', jobId],
      [2, 'active', jobId],
      [3, 'completed', jobId],
    ]);
    expect(report.nodes).toEqual([stack.server.nodeId]);
  });

  it('lists unheard broadcasts, near-miss room names, rejections with their rule, and events that named no room', async () => {
    const queue = uniqueName('debug');
    const stack = await startStack({
      queues: [queue],
      canDebug: (user) => user.id === 'dev',
      channels: { 'document:{id}': (user) => user.id !== 'mallory' },
    });
    cleanups.push(() => stack.close());
    await subscriber(stack, 'document:042'); // a valid room, but the events go to document:42
    expect((await subscriber(stack, 'document_42')).answer).toMatchObject({ ok: false, error: { code: 'INVALID_ROOM' } });
    const mallory = connectRaw(stack.url, 'user:mallory');
    cleanups.push(() => mallory.close());
    await connected(mallory);
    await request(mallory, EVENTS.subscribe, { room: 'document:7' });
    await stack.server.enqueue(queue, 'job', {}, { rooms: ['document:42'] });
    const plain = openQueue(queue);
    cleanups.push(() => plain.close());
    const orphan = await plain.add('orphan', { text: 'names no room' });

    const report = await waitFor(async () => {
      const body = ServerDebugReportSchema.parse(await (await debugGet(stack, '/debug')).json());
      return body.unheard.length > 0 && body.unrouted.length > 0 ? body : undefined;
    }, 'unheard and unrouted events');
    expect(report.unheard.map((room) => room.room)).toEqual(['document:42']);
    expect(report.nearMisses).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ eventsRoom: 'document:42', subscribedRoom: 'document:042' }),
        expect.objectContaining({ eventsRoom: 'document:42', subscribedRoom: 'document_42' }),
      ]),
    );
    expect(report.rejections).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ room: 'document_42', code: 'INVALID_ROOM', hint: 'Did you mean "document:42"?' }),
        expect.objectContaining({ room: 'document:7', code: 'FORBIDDEN', pattern: 'document:{id}' }),
      ]),
    );
    expect(report.unrouted).toEqual(expect.arrayContaining([expect.objectContaining({ queue, jobId: orphan.id, event: 'added' })]));
  });

  it('sums the views of every node', async () => {
    const queue = uniqueName('debug');
    const first = await startStack({ queues: [queue], canDebug: () => true, nodeId: 'node-a' });
    cleanups.push(() => first.close());
    const second = await startStack({ queues: [queue], canDebug: () => true, nodeId: 'node-b', keyPrefix: first.keyPrefix });
    cleanups.push(() => second.close());
    await subscriber(first, 'document:5');
    await subscriber(second, 'document:5');
    await subscriber(second, 'document:5');
    await first.server.enqueue(queue, 'job', {}, { rooms: ['document:5'] });
    const report = await waitFor(async () => {
      const body = RoomDebugReportSchema.parse(await (await debugGet(first, '/debug/rooms/document:5')).json());
      return body.stats.delivered === 3 ? body : undefined;
    }, 'deliveries on both nodes');
    expect(report.nodes.sort()).toEqual(['node-a', 'node-b']);
    // No worker runs the job: only `added` is sent (the `waiting` after it changes nothing),
    // delivered to the one subscriber on node-a and the two on node-b.
    expect(report.stats).toMatchObject({ broadcasts: 1, delivered: 3, subscribers: 3 });
  });
});
