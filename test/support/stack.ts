import type { Processor } from 'bullmq';
import { afterEach, inject } from 'vitest';
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
afterEach(() => {
  for (const client of openClients) client.close();
  openClients.clear();
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
