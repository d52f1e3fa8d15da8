import type { Processor } from 'bullmq';
import { afterEach, expect, inject } from 'vitest';
import type { Socket } from 'socket.io-client';
import { EVENTS, type StatusEvent } from '../../shared/index.js';
import { createJobcastClient, type JobcastClient, type JobcastClientOptions } from '../../client/index.js';
import type { JobcastServerOptions } from '../../server/index.js';
import * as harness from './harness.js';
import type { TestStack, TestUser } from './harness.js';

export { connectRaw, connected, request, stalledPollingClient, tokenAuth, uniqueName, waitFor } from './harness.js';
export type { TestStack, TestUser } from './harness.js';

/** A jobcast server on a port-0 HTTP server with its router at /jobcast, against the test run's Redis. */
export const startStack = (
  options: Partial<JobcastServerOptions<TestUser>> & { queues: string[]; redisUrl?: string; port?: number },
): Promise<TestStack> => harness.startStack({ ...options, redisUrl: options.redisUrl ?? inject('redisUrl') });

/** A BullMQ worker on the test run's Redis (or the one given). */
export const startWorker = <T = unknown, R = unknown>(queue: string, processor: Processor<T, R>, redisUrl?: string) =>
  harness.startWorker<T, R>(queue, processor, redisUrl ?? inject('redisUrl'));

/** A plain BullMQ queue on the test run's Redis, for jobs added without the enqueue helper. */
export const openQueue = (name: string, redisUrl?: string) => harness.openQueue(name, redisUrl ?? inject('redisUrl'));

const openClients = new Set<JobcastClient>();
const openSockets = new Set<Socket>();
afterEach(() => {
  for (const client of openClients) client.close();
  openClients.clear();
  for (const socket of openSockets) socket.close();
  openSockets.clear();
});

/** A jobcast client with quick reconnects over WebSocket, closed after the test. */
export function testClient(url: string, token = 'user:alice', options: Partial<JobcastClientOptions> = {}): JobcastClient {
  const client = createJobcastClient({
    url,
    getToken: () => token,
    reconnectDelayMs: 100,
    reconnectDelayMaxMs: 1_000,
    socketOptions: { transports: ['websocket'] },
    ...options,
  });
  openClients.add(client);
  return client;
}

/** Reads one sample from a test stack's Prometheus text, e.g. `jobcast_subscriptions_total{result="OK"}`. */
export async function metric(stack: TestStack, sample: string): Promise<number | undefined> {
  const text = await (await fetch(`${stack.url}/jobcast/metrics`)).text();
  const line = text.split('\n').find((row) => row.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

/** A raw socket subscribed to `room` on the stack at `url`, collecting the statuses it is sent; closed after the test. */
export async function watchRoom(url: string, token: string, room: string): Promise<{ socket: Socket; events: StatusEvent[] }> {
  const socket = harness.connectRaw(url, token);
  openSockets.add(socket);
  const events: StatusEvent[] = [];
  socket.on(EVENTS.status, (event: StatusEvent) => events.push(event));
  await harness.connected(socket);
  expect(await harness.request(socket, EVENTS.subscribe, { room })).toMatchObject({ ok: true });
  return { socket, events };
}
