import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Queue, Worker, type Processor } from 'bullmq';
import { Redis } from 'ioredis';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { EVENTS } from '../../shared/index.js';
import { createJobcastServer, type JobcastServer, type JobcastServerOptions } from '../../server/index.js';

/**
 * Test harness without vitest imports, so scripts (the hostile suite) can use it too;
 * `stack.ts` wraps it with the test run's Redis.
 */

/** A name no other test uses: queues, key prefixes and rooms stay apart between tests. */
export const uniqueName = (prefix = 'test') => `${prefix}-${randomUUID().slice(0, 8)}`;

/**
 * A queue of its own name on `redisUrl`, on a connection of its own (the tests reach its keys
 * through it too); `cleanups` closes both.
 */
export function queueOnRedis(redisUrl: string, prefix: string, cleanups: Array<() => unknown>): { name: string; redis: Redis; queue: Queue } {
  const name = uniqueName(prefix);
  const redis = new Redis(redisUrl);
  const queue = new Queue(name, { connection: redis });
  cleanups.push(async () => {
    await queue.close();
    redis.disconnect();
  });
  return { name, redis, queue };
}

export interface TestUser {
  id: string;
}

/** Tokens look like "user:alice"; anything else is refused. */
export const tokenAuth: JobcastServerOptions<TestUser>['authenticate'] = ({ token }) =>
  token?.startsWith('user:') ? { id: token.slice(5) } : null;

export interface TestStack {
  url: string;
  redisUrl: string;
  keyPrefix: string;
  httpServer: HttpServer;
  server: JobcastServer;
  close(): Promise<void>;
}

/** A jobcast server on a port-0 HTTP server with its router at /jobcast, against the run's Redis. */
export async function startStack(
  options: Partial<JobcastServerOptions<TestUser>> & { queues: string[]; redisUrl: string; port?: number },
): Promise<TestStack> {
  const redisUrl = options.redisUrl;
  const keyPrefix = options.keyPrefix ?? uniqueName('jc');
  const app = express();
  const httpServer = createServer(app);
  const server = await createJobcastServer<TestUser>({
    authenticate: tokenAuth,
    channels: { 'document:{id}': () => true },
    ...options,
    httpServer,
    redis: redisUrl,
    keyPrefix,
  });
  app.use('/jobcast', server.router);
  await new Promise<void>((resolve) => httpServer.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    redisUrl,
    keyPrefix,
    httpServer,
    server,
    close: async () => {
      await server.close();
      httpServer.closeAllConnections();
      await new Promise((resolve) => httpServer.close(resolve));
    },
  };
}

/** A BullMQ worker on the test Redis. */
export function startWorker<T = unknown, R = unknown>(queue: string, processor: Processor<T, R>, redisUrl: string) {
  const worker = new Worker<T, R>(queue, processor, {
    connection: { url: redisUrl, maxRetriesPerRequest: null },
    // Short stall checks, so tests about crashed workers do not wait the default 30 s.
    stalledInterval: 1_000,
    lockDuration: 2_000,
  });
  // Tests that restart Redis make the worker report connection errors: expected, not fatal.
  worker.on('error', () => undefined);
  return worker;
}

/** A plain BullMQ queue on the test Redis, for jobs added without the enqueue helper. */
export const openQueue = (name: string, redisUrl: string) => new Queue(name, { connection: { url: redisUrl } });

/** A raw Socket.IO client, for speaking the protocol (or breaking it) by hand. */
export function connectRaw(url: string, token: string | undefined, extra: Record<string, unknown> = {}): Socket {
  return connectSocket(url, { auth: { token, protocol: 1, ...extra }, transports: ['websocket'], reconnection: false, forceNew: true });
}

/** Waits until `check` returns something truthy, polling; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Emits with an ack and resolves with the answer. */
export function request<T = any>(socket: Socket, event: string, payload: unknown, timeoutMs = 15_000): Promise<T> {
  return socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<T>;
}

/** Resolves once the socket is connected, or rejects with the connect_error. */
export function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.connected) return resolve();
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
}

/**
 * A client that speaks Engine.IO long-polling by hand, subscribes, then never polls again:
 * everything the server sends it piles up in the server's write buffer, as with a client on a
 * stalled network. `poll()` makes one late poll (a refused one means the session is gone).
 */
export async function stalledPollingClient(url: string, token: string, room: string) {
  const base = `${url}/socket.io/?EIO=4&transport=polling`;
  const open = await (await fetch(base)).text();
  const { sid } = JSON.parse(open.slice(1)) as { sid: string };
  const session = `${base}&sid=${sid}`;
  const post = (body: string) => fetch(session, { method: 'POST', body, headers: { 'content-type': 'text/plain;charset=UTF-8' } });
  const read = async () => (await fetch(session)).text();
  await post(`40${JSON.stringify({ token, protocol: 1 })}`);
  const reply = await read();
  const socketId = (JSON.parse(/40(\{[^\x1e]*\})/.exec(reply)![1]!) as { sid: string }).sid;
  await post(`420${JSON.stringify([EVENTS.subscribe, { room }])}`);
  let acked = '';
  for (let tries = 0; tries < 10 && !acked.includes('"ok":true'); tries++) acked += await read();
  return { socketId, subscribed: acked.includes('"ok":true'), poll: () => fetch(session) };
}
