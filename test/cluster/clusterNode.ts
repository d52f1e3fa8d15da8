/**
 * A jobcast server node on a Redis Cluster, as its own process so a test can SIGKILL it.
 * Configured by environment: REDIS_CLUSTER_NODES (host:port,…), QUEUES (comma-separated),
 * KEY_PREFIX, NODE_ID, PORT (0 = any), LEASE_TTL_MS (optional), LOG_LEVEL (@default 'warn').
 * BullMQ's keys use the hash-tagged prefix '{bull}', as every queue on a cluster must.
 * Prints `ready <port>` on stdout once it accepts connections; logs go to stderr as JSON.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Cluster } from 'ioredis';
import { pino } from 'pino';
import { createJobcastServer } from '../../server/index.js';
import { parseClusterNodes } from './clusterNodes.js';

const env = (name: string) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};

// A plain Cluster client: the server duplicates it with what each of its connections needs.
const redis = new Cluster(parseClusterNodes(env('REDIS_CLUSTER_NODES')));
redis.on('error', () => undefined);
const app = express();
const httpServer = createServer(app);
const server = await createJobcastServer<{ id: string }>({
  httpServer,
  redis,
  bullPrefix: '{bull}',
  queues: env('QUEUES').split(','),
  keyPrefix: env('KEY_PREFIX'),
  nodeId: env('NODE_ID'),
  ...(process.env.LEASE_TTL_MS ? { leaseTtlMs: Number(process.env.LEASE_TTL_MS) } : {}),
  authenticate: ({ token }) => (token?.startsWith('user:') ? { id: token.slice(5) } : null),
  channels: { 'document:{id}': () => true },
  logger: pino({ level: process.env.LOG_LEVEL ?? 'warn', base: { node: env('NODE_ID') } }, pino.destination(2)),
});
app.use('/jobcast', server.router);
httpServer.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`ready ${(httpServer.address() as AddressInfo).port}`);
});
process.on('SIGTERM', async () => {
  await server.close();
  await redis.quit().catch(() => undefined);
  process.exit(0);
});
