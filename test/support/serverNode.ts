/**
 * A jobcast server node as its own process, for tests that kill a node. Configured by
 * environment: REDIS_URL, QUEUES (comma-separated), KEY_PREFIX, NODE_ID, PORT (0 = any).
 * Prints `ready <port>` once it accepts connections.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createJobcastServer } from '../../server/index.js';

const env = (name: string) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};

const app = express();
const httpServer = createServer(app);
const server = await createJobcastServer<{ id: string }>({
  httpServer,
  redis: env('REDIS_URL'),
  queues: env('QUEUES').split(','),
  keyPrefix: env('KEY_PREFIX'),
  nodeId: env('NODE_ID'),
  authenticate: ({ token }) => (token?.startsWith('user:') ? { id: token.slice(5) } : null),
  channels: { 'document:{id}': () => true },
});
app.use('/jobcast', server.router);
httpServer.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`ready ${(httpServer.address() as AddressInfo).port}`);
});
process.on('SIGTERM', async () => {
  await server.close();
  process.exit(0);
});
