import { afterEach, describe, expect, it } from 'vitest';
import { io as connectSocket } from 'socket.io-client';
import { createJobcastClient, type JobcastClient } from '../../client/index.js';
import { createTokenIssuer } from '../../server/index.js';
import { EVENTS } from '../../shared/index.js';
import { connectRaw, connected, request, startStack, startWorker, uniqueName, waitFor, type TestStack } from '../support/stack.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const SECRET = 'test-secret-that-is-long-enough-for-hmac-256!';

function client(url: string, getToken: () => string | Promise<string>): JobcastClient {
  const jobcast = createJobcastClient({ url, getToken, reconnectDelayMs: 100, reconnectDelayMaxMs: 500, socketOptions: { transports: ['websocket'] } });
  cleanups.push(() => jobcast.close());
  return jobcast;
}

async function tokenStack(extra: Partial<Parameters<typeof startStack>[0]> = {}, ttlMs = 60_000) {
  const tokens = createTokenIssuer({ secret: SECRET, ttlMs, clockToleranceMs: 0 });
  const queue = uniqueName('security');
  const stack = await startStack({ queues: [queue], tokens, authenticate: undefined, ...extra });
  cleanups.push(() => stack.close());
  return { tokens, queue, stack };
}

const connectError = (socket: ReturnType<typeof connectRaw>) =>
  connected(socket).then(
    () => undefined,
    (error: Error & { data?: { code: string } }) => error.data?.code ?? error.message,
  );

describe('scoped tokens', () => {
  it('refuses forged, malformed and expired tokens with their own codes', async () => {
    const { tokens, stack } = await tokenStack();
    const forged = createTokenIssuer({ secret: 'another-secret-that-is-also-long-enough!!' }).issue({ sub: 'alice', rooms: ['document:1'] });
    const expired = tokens.issue({ sub: 'alice', rooms: ['document:1'], ttlMs: -10_000 });
    for (const [token, code] of [
      [forged, 'UNAUTHENTICATED'],
      ['not.a.token', 'UNAUTHENTICATED'],
      [expired, 'TOKEN_EXPIRED'],
    ] as const) {
      const socket = connectRaw(stack.url, token);
      cleanups.push(() => socket.close());
      expect(await connectError(socket), token).toBe(code);
    }
  });

  it('opens only the rooms the token names (exact or `*` patterns)', async () => {
    const { tokens, stack } = await tokenStack();
    const socket = connectRaw(stack.url, tokens.issue({ sub: 'alice', rooms: ['document:1', 'org:7:*'] }));
    cleanups.push(() => socket.close());
    await connected(socket);
    expect(await request(socket, EVENTS.subscribe, { room: 'document:1' })).toMatchObject({ ok: true });
    expect(await request(socket, EVENTS.subscribe, { room: 'document:2' })).toEqual({
      ok: false,
      error: { code: 'FORBIDDEN', message: 'Your access token does not cover "document:2".' },
    });
  });

  it('keeps a subscription alive past the first token expiry by refreshing through getToken', async () => {
    const { tokens, queue, stack } = await tokenStack({}, 3_000);
    let issued = 0;
    const alice = client(stack.url, () => {
      issued++;
      return tokens.issue({ sub: 'alice', rooms: ['document:1'] });
    });
    const handle = alice.subscribe('document:1');
    await waitFor(() => handle.getSnapshot().state === 'active', 'subscribed');
    await waitFor(() => alice.inspect().log.some((entry) => entry.kind === 'refresh' && entry.detail?.startsWith('ok')), 'a refresh', 20_000);
    await new Promise((resolve) => setTimeout(resolve, 3_500)); // past the first token's lifetime
    expect(handle.getSnapshot().state).toBe('active');
    expect(issued).toBeGreaterThanOrEqual(2);
    const worker = startWorker(queue, async () => 'ok');
    cleanups.push(() => worker.close());
    const { jobId } = await stack.server.enqueue(queue, 'after-refresh', {}, { rooms: ['document:1'] });
    await waitFor(() => handle.getSnapshot().jobs[`${queue}/${jobId}`]?.state === 'completed', 'still receiving');
  });

  it('revokes the rooms of a connection whose token expires without a refresh', async () => {
    const { tokens, stack } = await tokenStack({}, 2_000);
    let calls = 0;
    const alice = client(stack.url, () => {
      calls++;
      if (calls > 1) throw new Error('session ended');
      return tokens.issue({ sub: 'alice', rooms: ['document:1'] });
    });
    const handle = alice.subscribe('document:1');
    await waitFor(() => handle.getSnapshot().state === 'active', 'subscribed');
    await waitFor(() => handle.getSnapshot().state === 'rejected', 'revoked at expiry', 20_000);
    expect(handle.getSnapshot().error?.code).toBe('TOKEN_EXPIRED');
    expect(alice.inspect().log.some((entry) => entry.kind === 'revoked' && entry.code === 'TOKEN_EXPIRED')).toBe(true);
  });
});

describe('revoke(user, room)', () => {
  it('removes the user from the room on every node, says so, and refuses the resubscribe', async () => {
    const queue = uniqueName('revoke');
    const first = await startStack({ queues: [queue], nodeId: 'a' });
    cleanups.push(() => first.close());
    const second = await startStack({ queues: [queue], nodeId: 'b', keyPrefix: first.keyPrefix });
    cleanups.push(() => second.close());
    const alice = connectRaw(second.url, 'user:alice');
    const bob = connectRaw(second.url, 'user:bob');
    cleanups.push(() => alice.close(), () => bob.close());
    const revoked: unknown[] = [];
    alice.on(EVENTS.revoked, (message: unknown) => revoked.push(message));
    await Promise.all([connected(alice), connected(bob)]);
    await request(alice, EVENTS.subscribe, { room: 'document:1' });
    await request(bob, EVENTS.subscribe, { room: 'document:1' });

    await first.server.revoke('alice', 'document:1'); // asked on node a, alice is on node b
    await waitFor(() => revoked.length === 1, 'the revoked message');
    expect(revoked[0]).toEqual({ room: 'document:1', code: 'REVOKED', message: 'Access to "document:1" was revoked.' });
    expect(await request(alice, EVENTS.subscribe, { room: 'document:1' })).toMatchObject({ ok: false, error: { code: 'REVOKED' } });
    // Over HTTP too: the snapshot follows the same rules as a subscribe.
    const snapshot = await fetch(`${second.url}/jobcast/rooms/document:1`, { headers: { authorization: 'Bearer user:alice' } });
    expect(snapshot.status).toBe(403);
    expect(await snapshot.json()).toMatchObject({ error: { code: 'REVOKED' } });
    const bobEvents: unknown[] = [];
    const aliceEvents: unknown[] = [];
    bob.on(EVENTS.status, (event: unknown) => bobEvents.push(event));
    alice.on(EVENTS.status, (event: unknown) => aliceEvents.push(event));
    // No worker runs them: each job sends only its `added` (the `waiting` after it changes nothing).
    await first.server.enqueue(queue, 'after-revoke', {}, { rooms: ['document:1'] });
    await first.server.enqueue(queue, 'after-revoke', {}, { rooms: ['document:1'] });
    await waitFor(() => bobEvents.length === 2, 'bob still receives');
    expect(aliceEvents).toEqual([]);
  });
});

describe('origins and limits', () => {
  it('refuses a WebSocket from a page origin that is not allowed, before any handshake', async () => {
    const { stack } = await allowOrigins();
    const attempt = (origin?: string) => {
      const socket = connectSocket(stack.url, {
        auth: { token: 'user:alice', protocol: 1 },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        ...(origin ? { extraHeaders: { origin } } : {}),
      });
      cleanups.push(() => socket.close());
      return connected(socket).then(() => 'connected', () => 'refused');
    };
    expect(await attempt('https://evil.example')).toBe('refused');
    expect(await attempt('https://app.example')).toBe('connected');
    expect(await attempt(undefined)).toBe('connected'); // not a browser: no cross-site risk
    const metrics = await (await fetch(`${stack.url}/jobcast/metrics`)).text();
    expect(metrics).toContain('jobcast_limit_breaches_total{code="ORIGIN_NOT_ALLOWED"} 1');
  });

  it('answers each breach with its own code: too many subscriptions, subscribe flood, oversized message', async () => {
    const queue = uniqueName('limits');
    const stack = await startStack({ queues: [queue], limits: { maxSubscriptions: 3, subscribeRate: 1, subscribeBurst: 5, maxMessageBytes: 512 } });
    cleanups.push(() => stack.close());
    const socket = connectRaw(stack.url, 'user:alice');
    cleanups.push(() => socket.close());
    await connected(socket);
    const answers = [];
    for (let index = 1; index <= 6; index++) answers.push(await request(socket, EVENTS.subscribe, { room: `document:${index}` }));
    expect(answers.slice(0, 3).every((answer) => answer.ok)).toBe(true);
    expect(answers[3]).toMatchObject({ ok: false, error: { code: 'TOO_MANY_SUBSCRIPTIONS' } });
    expect(answers[4]).toMatchObject({ ok: false, error: { code: 'TOO_MANY_SUBSCRIPTIONS' } });
    expect(answers[5]).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expect(await request(socket, EVENTS.unsubscribe, { room: 'document:1', padding: 'x'.repeat(600) })).toMatchObject({
      ok: false,
      error: { code: 'PAYLOAD_TOO_LARGE' },
    });
    expect(socket.connected).toBe(true);
    const metrics = await (await fetch(`${stack.url}/jobcast/metrics`)).text();
    expect(metrics).toContain('jobcast_limit_breaches_total{code="TOO_MANY_SUBSCRIPTIONS"} 2');
    expect(metrics).toContain('jobcast_limit_breaches_total{code="RATE_LIMITED"} 1');
    expect(metrics).toContain('jobcast_limit_breaches_total{code="PAYLOAD_TOO_LARGE"} 1');
  });

  it('limits connections per user when asked', async () => {
    const stack = await startStack({ queues: [uniqueName('limits')], maxConnectionsPerUser: 2 });
    cleanups.push(() => stack.close());
    const sockets = [0, 1, 2].map(() => connectRaw(stack.url, 'user:alice'));
    cleanups.push(() => sockets.forEach((socket) => socket.close()));
    const outcomes = [];
    for (const socket of sockets) outcomes.push(await connectError(socket));
    expect(outcomes).toEqual([undefined, undefined, 'RATE_LIMITED']);
    const other = connectRaw(stack.url, 'user:bob');
    cleanups.push(() => other.close());
    expect(await connectError(other)).toBeUndefined();
  });
});

async function allowOrigins(): Promise<{ stack: TestStack }> {
  const stack = await startStack({ queues: [uniqueName('origin')], allowedOrigins: ['https://app.example'] });
  cleanups.push(() => stack.close());
  return { stack };
}
