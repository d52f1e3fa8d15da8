import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import type { Socket as ServerSocket } from 'socket.io';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EVENTS } from '../../shared/index.js';
import type { StatusEvent, SubscribeAck, SubscribeRequest, WireError } from '../../shared/index.js';
import { JobcastClientError, createJobcastClient } from '../../client/index.js';
import type { JobcastClient, JobcastClientOptions } from '../../client/index.js';

/**
 * A small real Socket.IO server speaking the jobcast protocol from memory, so the client's
 * socket handling is tested without Redis. The real server is covered by test/integration.
 */
async function startProtocolServer(refuse: (auth: Record<string, unknown>) => WireError | undefined = () => undefined) {
  const httpServer = createServer();
  const io = new Server(httpServer);
  const history = new Map<string, StatusEvent[]>();
  const auths: Array<Record<string, unknown>> = [];
  const subscribes: SubscribeRequest[] = [];
  const sockets: ServerSocket[] = [];
  io.use((socket, next) => {
    const auth = socket.handshake.auth as Record<string, unknown>;
    auths.push(auth);
    const error = refuse(auth);
    next(error ? Object.assign(new Error(error.message), { data: error }) : undefined);
  });
  io.on('connection', (socket) => {
    sockets.push(socket);
    socket.emit(EVENTS.hello, { protocol: 1, nodeId: 'node-1', window: { historySize: 100, historyTtlMs: 60_000 } });
    socket.on(EVENTS.subscribe, async (request: SubscribeRequest, ack: (answer: SubscribeAck) => void) => {
      subscribes.push(request);
      if (!request.room.startsWith('document:')) {
        return ack({ ok: false, error: { code: 'INVALID_ROOM', message: 'no channel', hint: 'try document:<id>' } });
      }
      await socket.join(request.room);
      const events = history.get(request.room) ?? [];
      const seq = events.length;
      const jobs = [...new Map(events.map((event) => [event.status.jobId, event])).values()];
      ack(
        request.since
          ? { ok: true, room: request.room, epoch: 'e1', seq, mode: 'replay', jobs: [], events: events.slice(request.since.seq) }
          : { ok: true, room: request.room, epoch: 'e1', seq, mode: 'snapshot', jobs, events: [] },
      );
    });
    socket.on(EVENTS.heartbeat, (_request: unknown, ack: (answer: unknown) => void) => ack({ ok: true, at: Date.now(), rooms: [] }));
    socket.on(EVENTS.unsubscribe, async ({ room }: { room: string }, ack: (answer: unknown) => void) => {
      await socket.leave(room);
      ack({ ok: true });
    });
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`,
    io,
    auths,
    subscribes,
    sockets,
    publish(room: string, jobId: string, state: 'active' | 'completed') {
      const events = history.get(room) ?? [];
      const event: StatusEvent = {
        room,
        epoch: 'e1',
        seq: events.length + 1,
        event: state,
        status: { jobId, queue: 'q', incarnation: 'i1', state, attempt: 1, maxAttempts: 1, updatedAt: Date.now() },
        at: Date.now(),
      };
      history.set(room, [...events, event]);
      io.to(room).emit(EVENTS.status, event);
    },
    close: () => new Promise<void>((resolve) => io.close(() => resolve())),
  };
}

async function waitFor(check: () => unknown, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(refuse?: Parameters<typeof startProtocolServer>[0], options: Partial<JobcastClientOptions> = {}) {
  const server = await startProtocolServer(refuse);
  cleanups.push(server.close);
  const getToken = vi.fn(options.getToken ?? (() => 'user:a'));
  const client = createJobcastClient({
    url: server.url,
    reconnectDelayMs: 20,
    reconnectDelayMaxMs: 100,
    socketOptions: { transports: ['websocket'] },
    ...options,
    getToken,
  });
  cleanups.push(() => client.close());
  return { server, client, getToken };
}

const kinds = (client: JobcastClient) => client.inspect().log.map((entry) => entry.kind);

describe('createJobcastClient', () => {
  it('connects with its token, says hello and delivers the snapshot then live events', async () => {
    const { server, client } = await setup();
    server.publish('document:1', 'old', 'completed');
    const seen: StatusEvent[] = [];
    const handle = client.subscribe('document:1', (event) => seen.push(event));
    await waitFor(() => handle.getSnapshot().state === 'active', 'the subscription');
    expect(server.auths[0]).toEqual({ token: 'user:a', protocol: 1 });
    expect(client.connection.getSnapshot()).toMatchObject({ state: 'connected', nodeId: 'node-1', transport: 'websocket' });
    expect(handle.getSnapshot().jobs['q/old']?.state).toBe('completed');

    server.publish('document:1', 'new', 'active');
    server.publish('document:1', 'new', 'completed');
    await waitFor(() => handle.getSnapshot().seq === 3, 'the live events');
    expect(seen.map((event) => event.seq)).toEqual([2, 3]);
    expect(handle.getSnapshot().jobs['q/new']?.state).toBe('completed');
    const [room] = client.inspect().rooms;
    expect(room).toMatchObject({ room: 'document:1', refCount: 1, counters: { received: 2, applied: 2, duplicates: 0 } });
    expect(kinds(client)).toEqual(expect.arrayContaining(['connect', 'hello', 'subscribe', 'subscribed', 'status']));
    const status = client.inspect().log.find((entry) => entry.kind === 'status');
    expect(status?.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('comes back after the server disconnects it, with a new token, and replays what it missed', async () => {
    const { server, client, getToken } = await setup();
    const handle = client.subscribe('document:1');
    await waitFor(() => handle.getSnapshot().state === 'active', 'the subscription');
    server.publish('document:1', 'a', 'active');
    await waitFor(() => handle.getSnapshot().seq === 1, 'the first event');
    server.sockets[0]!.disconnect();
    server.publish('document:1', 'a', 'completed'); // missed: the socket is gone
    await waitFor(() => handle.getSnapshot().seq === 2, 'the replay after reconnecting');
    expect(getToken).toHaveBeenCalledTimes(2);
    expect(server.subscribes.at(-1)).toEqual({ room: 'document:1', since: { epoch: 'e1', seq: 1 } });
    expect(handle.getSnapshot()).toMatchObject({
      state: 'active',
      jobs: { 'q/a': { state: 'completed' } },
      gaps: { detected: 1, replayed: 1, ranges: [{ from: 2, to: 2, outcome: 'replayed' }] },
    });
    const states = client.connection.getSnapshot().timeline.map((entry) => entry.state);
    expect(states).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
  });

  it('stops after an UNAUTHENTICATED refusal and shows why', async () => {
    const { client, getToken } = await setup(() => ({ code: 'UNAUTHENTICATED', message: 'who are you?' }));
    await waitFor(() => client.connection.getSnapshot().state === 'disconnected', 'the refusal');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(getToken).toHaveBeenCalledTimes(1);
    expect(client.connection.getSnapshot()).toMatchObject({
      state: 'disconnected',
      error: { code: 'UNAUTHENTICATED', message: 'who are you?' },
    });
    expect(kinds(client)).toContain('connect_error');
  });

  it('retries a TOKEN_EXPIRED refusal with a fresh token', async () => {
    const tokens = ['expired', 'user:a'];
    const { client, getToken, server } = await setup(
      (auth) => (auth.token === 'expired' ? { code: 'TOKEN_EXPIRED', message: 'expired' } : undefined),
      { getToken: () => tokens.shift() ?? 'user:a' },
    );
    await waitFor(() => client.connection.getSnapshot().state === 'connected', 'the second attempt');
    expect(getToken).toHaveBeenCalledTimes(2);
    expect(server.auths.map((auth) => auth.token)).toEqual(['expired', 'user:a']);
    const timeline = client.connection.getSnapshot().timeline;
    expect(timeline.some((entry) => entry.state === 'reconnecting' && entry.code === 'TOKEN_EXPIRED')).toBe(true);
  });

  it('retries when getToken throws, and stops when it throws an UNAUTHENTICATED JobcastClientError', async () => {
    let calls = 0;
    const flaky = await setup(undefined, {
      getToken: () => {
        calls += 1;
        if (calls === 1) throw new Error('auth server down');
        return 'user:a';
      },
    });
    await waitFor(() => flaky.client.connection.getSnapshot().state === 'connected', 'the retry');
    expect(flaky.server.auths).toEqual([{ token: 'user:a', protocol: 1 }]);

    const loggedOut = await setup(undefined, {
      getToken: () => Promise.reject(new JobcastClientError('UNAUTHENTICATED', 'signed out')),
    });
    await waitFor(() => loggedOut.client.connection.getSnapshot().state === 'disconnected', 'the stop');
    expect(loggedOut.client.connection.getSnapshot().error).toEqual({ code: 'UNAUTHENTICATED', message: 'signed out' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(loggedOut.getToken).toHaveBeenCalledTimes(1);
    expect(loggedOut.server.auths).toEqual([]);
  });

  it('drops and logs malformed pushes without throwing', async () => {
    const { server, client } = await setup();
    const handle = client.subscribe('document:1');
    await waitFor(() => handle.getSnapshot().state === 'active', 'the subscription');
    server.io.emit(EVENTS.status, { room: 'document:1', seq: 'one' });
    server.io.emit(EVENTS.hello, { nope: true });
    await waitFor(() => kinds(client).filter((kind) => kind === 'invalid-message').length === 2, 'two invalid messages');
    expect(handle.getSnapshot().seq).toBe(0);
    expect(client.connection.getSnapshot().state).toBe('connected');
  });

  it('refuses locally only a room name too long to send, and lets the server judge (and hint at) the rest', async () => {
    const { server, client } = await setup();
    const tooLong = client.subscribe(`document:${'1'.repeat(1_100)}`);
    const mistyped = client.subscribe('document_1');
    expect(tooLong.getSnapshot()).toMatchObject({ state: 'rejected', error: { code: 'INVALID_ROOM' } });
    await waitFor(() => mistyped.getSnapshot().state === 'rejected', 'the server refusal');
    expect(mistyped.getSnapshot().error).toEqual({ code: 'INVALID_ROOM', message: 'no channel', hint: 'try document:<id>' });
    expect(server.subscribes.map((request) => request.room)).toEqual(['document_1']);
  });

  it('marks a room rejected when the server revokes it', async () => {
    const { server, client } = await setup();
    const handle = client.subscribe('document:1');
    await waitFor(() => handle.getSnapshot().state === 'active', 'the subscription');
    server.sockets[0]!.emit(EVENTS.revoked, { room: 'document:1', code: 'FORBIDDEN', message: 'gone' });
    await waitFor(() => handle.getSnapshot().state === 'rejected', 'the revocation');
    expect(handle.getSnapshot().error).toEqual({ code: 'FORBIDDEN', message: 'gone' });
    expect(kinds(client)).toContain('revoked');
  });

  it('stays disconnected after disconnect() until connect(), then resubscribes', async () => {
    const { server, client } = await setup();
    const handle = client.subscribe('document:1');
    await waitFor(() => handle.getSnapshot().state === 'active', 'the subscription');
    client.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(client.connection.getSnapshot()).toMatchObject({ state: 'disconnected', reason: 'io client disconnect' });
    expect(handle.getSnapshot().state).toBe('pending');
    expect(server.auths).toHaveLength(1);
    client.connect();
    await waitFor(() => handle.getSnapshot().state === 'active', 'the resubscription');
    expect(server.subscribes).toHaveLength(2);
  });

  it('sends the unsubscribe once the last handle is released, and closes twice safely', async () => {
    const { server, client } = await setup();
    const first = client.subscribe('document:1');
    const second = client.subscribe('document:1');
    await waitFor(() => first.getSnapshot().state === 'active', 'the subscription');
    expect(client.room('document:1')).toBe(client.room('document:1'));
    first.unsubscribe();
    first.unsubscribe();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(kinds(client)).not.toContain('unsubscribe');
    second.unsubscribe();
    await waitFor(() => kinds(client).includes('unsubscribe'), 'the unsubscribe');
    expect(client.inspect().rooms).toEqual([]);
    expect(server.subscribes).toHaveLength(1);
    client.close();
    client.close();
    expect(client.connection.getSnapshot().state).toBe('disconnected');
  });
});
