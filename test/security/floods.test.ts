import { afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { EVENTS } from '../../shared/index.js';
import type { TestUser } from '../support/harness.js';
import { connectRaw, connected, request, startStack, uniqueName, waitFor, type TestStack, metric } from '../support/stack.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function stackWith(options: Partial<Parameters<typeof startStack>[0]> = {}): Promise<TestStack> {
  const stack = await startStack({ queues: [uniqueName('floods')], ...options });
  cleanups.push(() => stack.close());
  return stack;
}

function open(stack: TestStack, token = 'user:alice'): Socket {
  const socket = connectRaw(stack.url, token);
  cleanups.push(() => socket.close());
  return socket;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One packet of each kind a client can send, with a payload the server would accept. */
const KINDS: Array<[event: string, payload: unknown]> = [
  [EVENTS.subscribe, { room: 'document:1' }],
  [EVENTS.unsubscribe, { room: 'document:1' }],
  [EVENTS.heartbeat, { rooms: [] }],
  [EVENTS.refresh, { token: 'user:alice' }],
  [EVENTS.replay, { room: 'document:1', epoch: 'e', after: 0, to: 1 }],
  ['no:such:event', { room: 'document:1' }],
  // No handler and no reserved name: Node's EventEmitter would throw on an unheard 'error'.
  ['error', { message: 'boom' }],
];

const TIGHT = { messageRate: 5, messageBurst: 10, maxConsecutiveBreaches: 20 };

describe('per-connection limits', () => {
  it.each(KINDS)('limit a flood of %s, answer RATE_LIMITED, then disconnect the client with a notice saying why', async (event, payload) => {
    const stack = await stackWith({ limits: TIGHT });
    const socket = open(stack);
    const notices: Array<{ code: string; message: string }> = [];
    socket.on(EVENTS.notice, (notice: { code: string; message: string }) => notices.push(notice));
    const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    await connected(socket);

    const answers: Array<{ ok: boolean; error?: { code: string } }> = [];
    // In batches until the server gives up on the client: a handler that succeeds late ends a run of breaches.
    for (let sent = 0; sent < 5_000 && socket.connected; sent += 50) {
      for (let index = 0; index < 50; index++) socket.emit(event, payload, (answer: (typeof answers)[number]) => answers.push(answer));
      await sleep(20);
    }
    expect(await disconnected).toBe('io server disconnect');
    expect(answers.filter((answer) => answer.error?.code === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(TIGHT.maxConsecutiveBreaches);
    expect(notices).toEqual([{ code: 'RATE_LIMITED', message: expect.stringContaining('Disconnected after 20 refused messages in a row.') }]);
    expect(await metric(stack, 'jobcast_limit_breaches_total{code="RATE_LIMITED"}')).toBeGreaterThanOrEqual(TIGHT.maxConsecutiveBreaches);

    // The server is still up for everyone else.
    expect((await fetch(`${stack.url}/jobcast/health`)).status).toBe(200);
    const other = open(stack, 'user:bob');
    await connected(other);
    expect(await request(other, EVENTS.subscribe, { room: 'document:1' })).toMatchObject({ ok: true });
  });

  it('count unknown events sent without an ack, and answer one with an ack BAD_REQUEST', async () => {
    const stack = await stackWith({ limits: TIGHT });
    const socket = open(stack);
    await connected(socket);
    expect(await request(socket, 'no:such:event', {})).toEqual({
      ok: false,
      error: { code: 'BAD_REQUEST', message: 'This server does not handle the event "no:such:event".' },
    });
    const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    for (let sent = 0; sent < 5_000 && socket.connected; sent += 50) {
      for (let index = 0; index < 50; index++) socket.emit('no:such:event', index);
      await sleep(20);
    }
    expect(await disconnected).toBe('io server disconnect');
  });

  it("pass the app's own events to its listeners within the limits, and answer a jobcast event sent with no payload", async () => {
    const stack = await stackWith({ limits: { maxMessageBytes: 512 } });
    stack.server.io.on('connection', (server) => server.on('app:ping' as never, ((payload: unknown, ack: (answer: unknown) => void) => ack({ pong: payload })) as never));
    const socket = open(stack);
    await connected(socket);
    expect(await request(socket, 'app:ping', { n: 1 })).toEqual({ pong: { n: 1 } });
    expect(await request(socket, 'app:ping', { padding: 'x'.repeat(600) })).toMatchObject({ ok: false, error: { code: 'PAYLOAD_TOO_LARGE' } });
    const answer = await socket.timeout(5_000).emitWithAck(EVENTS.subscribe);
    expect(answer).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringContaining(`Invalid "${EVENTS.subscribe}" payload`) } });
    expect(await request(socket, EVENTS.subscribe, { room: 'document:1' })).toMatchObject({ ok: true });
  });

  it('refuse a payload too large for any event, known or not, before any handler runs', async () => {
    const stack = await stackWith({ limits: { maxMessageBytes: 512 } });
    const socket = open(stack);
    await connected(socket);
    const big = { room: 'document:1', padding: 'x'.repeat(600) };
    for (const event of [EVENTS.heartbeat, EVENTS.refresh, 'no:such:event']) {
      expect(await request(socket, event, big), event).toMatchObject({ ok: false, error: { code: 'PAYLOAD_TOO_LARGE' } });
    }
    // Extra arguments count too.
    const answer = await socket.timeout(5_000).emitWithAck(EVENTS.heartbeat, { rooms: [] }, 'x'.repeat(600));
    expect(answer).toMatchObject({ ok: false, error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(await request(socket, EVENTS.heartbeat, { rooms: [] })).toMatchObject({ ok: true });
  });

  it('let a client within the limits go on after a burst it was refused for', async () => {
    const stack = await stackWith({ limits: TIGHT });
    const socket = open(stack);
    await connected(socket);
    const answers = await Promise.all(Array.from({ length: 15 }, () => request(socket, EVENTS.heartbeat, { rooms: [] })));
    expect(answers.filter((answer) => answer.ok).length).toBe(TIGHT.messageBurst);
    await sleep(1_000);
    expect(await request(socket, EVENTS.heartbeat, { rooms: [] })).toMatchObject({ ok: true });
    expect(socket.connected).toBe(true);
  });
});

describe('the connection count', () => {
  it('matches the sockets really connected after floods of connects, disconnects, refused and abandoned handshakes', async () => {
    // "slow:<id>" authenticates after 300 ms, long enough to close the connection in between.
    const authenticate = async ({ token }: { token: string | undefined }): Promise<TestUser | null> => {
      if (token?.startsWith('slow:')) {
        await sleep(300);
        return { id: token.slice(5) };
      }
      return token?.startsWith('user:') ? { id: token.slice(5) } : null;
    };
    const stack = await stackWith({ authenticate, maxConnectionsPerUser: 3 });

    // Abandoned handshakes: the client leaves while authenticate is still running.
    for (let round = 0; round < 3; round++) {
      const abandoned = Array.from({ length: 5 }, () => open(stack, 'slow:alice'));
      await sleep(50);
      abandoned.forEach((socket) => socket.close());
    }
    // Refused handshakes.
    const refused = Array.from({ length: 10 }, () => open(stack, 'nobody'));
    await Promise.all(refused.map((socket) => connected(socket).catch(() => undefined)));
    // Connects and disconnects, some of them abrupt.
    for (let round = 0; round < 5; round++) {
      const burst = Array.from({ length: 8 }, (_, index) => open(stack, `user:u${index}`));
      await Promise.all(burst.map(connected));
      burst.forEach((socket, index) => (index % 2 === 0 ? socket.disconnect() : socket.io.engine.close()));
    }
    await sleep(500); // past every slow authenticate

    const kept = Array.from({ length: 4 }, (_, index) => open(stack, `user:k${index}`));
    await Promise.all(kept.map(connected));
    await waitFor(async () => (await metric(stack, 'jobcast_connections')) === 4, 'the gauge to show the 4 open sockets');
    expect(stack.server.io.of('/').sockets.size).toBe(4);

    // No abandoned handshake kept one of alice's 3 places.
    const alice = Array.from({ length: 4 }, () => open(stack, 'user:alice'));
    const outcomes: Array<string | undefined> = [];
    for (const socket of alice) {
      outcomes.push(await connected(socket).then(() => undefined, (error: Error & { data?: { code: string } }) => error.data?.code));
    }
    expect(outcomes).toEqual([undefined, undefined, undefined, 'RATE_LIMITED']);
    await waitFor(async () => (await metric(stack, 'jobcast_connections')) === 7, 'the gauge to count alice');
    alice.forEach((socket) => socket.close());
    kept.forEach((socket) => socket.close());
    await waitFor(async () => (await metric(stack, 'jobcast_connections')) === 0, 'the gauge back to 0');
  });
});
