import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EVENTS, type StatusEvent, type SubscribeAck } from '../../shared/index.js';
import { connectRaw, connected, request, startStack, startWorker, uniqueName, waitFor } from '../support/stack.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** alice owns documents 1–9, bob owns 10–19. */
const owns = (user: { id: string }, id: string) => (user.id === 'alice' ? Number(id) < 10 : Number(id) >= 10);

async function setup(extra: Partial<Parameters<typeof startStack>[0]> = {}) {
  const queue = uniqueName('access');
  const stack = await startStack({
    queues: [queue],
    channels: { 'document:{id}': (user, { id }) => owns(user, id!), 'org:{org}:report:{id}': (user, { org }) => org === user.id },
    ...extra,
  });
  cleanups.push(() => stack.close());
  return { queue, stack };
}

async function client(url: string, token: string | undefined) {
  const socket = connectRaw(url, token);
  cleanups.push(() => socket.close());
  const events: StatusEvent[] = [];
  socket.on(EVENTS.status, (event: StatusEvent) => events.push(event));
  await connected(socket);
  return { socket, events };
}

describe('authentication', () => {
  it('refuses a handshake without a valid token with connect_error UNAUTHENTICATED', async () => {
    const { stack } = await setup();
    const socket = connectRaw(stack.url, 'nobody');
    cleanups.push(() => socket.close());
    const error = await connected(socket).then(
      () => undefined,
      (err: Error & { data?: { code: string; message: string } }) => err,
    );
    expect(error?.data).toEqual({ code: 'UNAUTHENTICATED', message: 'Authentication failed.' });
  });

  it('refuses a client speaking another protocol version with UNSUPPORTED_PROTOCOL', async () => {
    const { stack } = await setup();
    const socket = connectRaw(stack.url, 'user:alice', { protocol: 99 });
    cleanups.push(() => socket.close());
    const error = await connected(socket).then(
      () => undefined,
      (err: Error & { data?: { code: string } }) => err,
    );
    expect(error?.data?.code).toBe('UNSUPPORTED_PROTOCOL');
  });
});

describe('room authorization', () => {
  it('answers FORBIDDEN to a user denied a room, who then receives nothing while the owner gets every update', async () => {
    const { queue, stack } = await setup();
    const alice = await client(stack.url, 'user:alice');
    const bob = await client(stack.url, 'user:bob');
    expect(await request<SubscribeAck>(alice.socket, EVENTS.subscribe, { room: 'document:1' })).toMatchObject({ ok: true });
    const denied = await request<SubscribeAck>(bob.socket, EVENTS.subscribe, { room: 'document:1' });
    expect(denied).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: 'You are not allowed to subscribe to "document:1".' } });
    const worker = startWorker(queue, async (job) => {
      await job.updateProgress(10);
      return 'done';
    });
    cleanups.push(() => worker.close());
    const { jobId } = await stack.server.enqueue(queue, 'work', {}, { rooms: ['document:1'] });
    await waitFor(() => alice.events.some((e) => e.status.jobId === jobId && e.event === 'completed'), 'alice sees completed');
    // BullMQ's `waiting` right after `added` changes nothing on the page: it is not sent.
    expect(alice.events.map((e) => e.event)).toEqual(['added', 'active', 'progress', 'completed']);
    expect(bob.events).toEqual([]);
  });

  it('answers INVALID_ROOM with a hint for a room that matches no pattern but resembles one', async () => {
    const { stack } = await setup();
    const alice = await client(stack.url, 'user:alice');
    const underscore = await request<SubscribeAck>(alice.socket, EVENTS.subscribe, { room: 'document_42' });
    expect(underscore).toMatchObject({ ok: false, error: { code: 'INVALID_ROOM', hint: 'Did you mean "document:42"?' } });
    const plural = await request<SubscribeAck>(alice.socket, EVENTS.subscribe, { room: 'documents:42' });
    expect(plural).toMatchObject({ ok: false, error: { code: 'INVALID_ROOM', hint: 'Did you mean "document:42"?' } });
    const unknown = await request<SubscribeAck>(alice.socket, EVENTS.subscribe, { room: 'invoice:1' });
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) {
      expect(unknown.error.code).toBe('INVALID_ROOM');
      expect(unknown.error.hint).toBeUndefined();
      expect(unknown.error.message).toContain('document:{id}');
    }
  });

  it('never joins a client-supplied raw name: socket ids and wildcards are invalid rooms', async () => {
    const { stack } = await setup();
    const alice = await client(stack.url, 'user:alice');
    const bob = await client(stack.url, 'user:bob');
    for (const room of [bob.socket.id, '*', 'document:*', 'jobcast:document:1', '__proto__', 'document:1:extra']) {
      const answer = await request<SubscribeAck>(alice.socket, EVENTS.subscribe, { room });
      expect(answer, room).toMatchObject({ ok: false, error: { code: 'INVALID_ROOM' } });
    }
  });

  it('passes every pattern parameter to the rule', async () => {
    const { stack } = await setup();
    const alice = await client(stack.url, 'user:alice');
    expect(await request<SubscribeAck>(alice.socket, EVENTS.subscribe, { room: 'org:alice:report:7' })).toMatchObject({ ok: true });
    expect(await request<SubscribeAck>(alice.socket, EVENTS.subscribe, { room: 'org:bob:report:7' })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
  });

  it('authorizes again on every subscribe', async () => {
    let allowed = true;
    const { stack } = await setup({ channels: { 'document:{id}': () => allowed } });
    const alice = await client(stack.url, 'user:alice');
    expect(await request<SubscribeAck>(alice.socket, EVENTS.subscribe, { room: 'document:1' })).toMatchObject({ ok: true });
    allowed = false;
    expect(await request<SubscribeAck>(alice.socket, EVENTS.subscribe, { room: 'document:1' })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
  });

  it('denies with INTERNAL when a rule throws, and keeps serving', async () => {
    const { stack } = await setup({ channels: { 'document:{id}': (_user, { id }) => (id === 'boom' ? Promise.reject(new Error('db down')) : true) } });
    const alice = await client(stack.url, 'user:alice');
    expect(await request<SubscribeAck>(alice.socket, EVENTS.subscribe, { room: 'document:boom' })).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'The authorization check failed on the server.' },
    });
    expect(await request<SubscribeAck>(alice.socket, EVENTS.subscribe, { room: 'document:2' })).toMatchObject({ ok: true });
  });
});

describe('public status', () => {
  it('never sends a field of job.data marked secret, the raw failure text, or the return value unless projected', async () => {
    const queue = uniqueName('secret');
    const stack = await startStack({
      queues: [queue],
      project: {
        [queue]: {
          schema: z.object({ summary: z.string() }),
          select: ({ returnvalue }) => returnvalue,
        },
      },
    });
    cleanups.push(() => stack.close());
    const alice = await client(stack.url, 'user:alice');
    await request(alice.socket, EVENTS.subscribe, { room: 'document:1' });
    const worker = startWorker<{ apiKey: string }>(queue, async (job) => {
      if (job.name === 'fail') throw new Error(`failed near ${job.data.apiKey}`);
      return { summary: 'short text', internalCost: 'SECRET-COST', echo: job.data.apiKey };
    });
    cleanups.push(() => worker.close());
    const ok = await stack.server.enqueue(queue, 'ok', { apiKey: 'SECRET-KEY-1', text: 'hi' }, { rooms: ['document:1'] });
    const bad = await stack.server.enqueue(queue, 'fail', { apiKey: 'SECRET-KEY-2' }, { rooms: ['document:1'], attempts: 1 });
    await waitFor(() => alice.events.some((e) => e.status.jobId === ok.jobId && e.event === 'completed'), 'completed');
    await waitFor(() => alice.events.some((e) => e.status.jobId === bad.jobId && e.event === 'failed'), 'failed');
    const wire = JSON.stringify(alice.events);
    expect(wire).not.toContain('SECRET');
    expect(alice.events.find((e) => e.event === 'completed')!.status.data).toEqual({ summary: 'short text' });
    expect(alice.events.find((e) => e.event === 'failed')!.status.failure).toEqual({ code: 'JOB_FAILED', message: 'The job failed.' });
  });
});
