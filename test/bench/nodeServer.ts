/**
 * One jobcast node for the nodes phase, in its own process: the same server as relayServer.ts's
 * jobcast mode, on one Redis (REDIS_URL) or on a Redis Cluster (REDIS_CLUSTER, the masters'
 * URLs, with BullMQ's hash-tagged prefix and sharded pub/sub). Env: QUEUE, KEY_PREFIX, NODE_ID.
 * Prints `ready <port>`, or `failed <reason>` and exits when the server refuses to start (so the
 * phase can report why instead of waiting); answers the IPC message 'stats' with its CPU time
 * since the previous 'stats' and its RSS.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { createJobcastServer } from '../../server/index.js';
import { bullPrefixFor, clusterClient } from './benchRedis.js';

const { REDIS_URL = '', QUEUE = 'bench', KEY_PREFIX = 'bench', NODE_ID = 'node' } = process.env;
const httpServer = createServer();
// Sharded pub/sub: the Socket.IO adapter's channels are spread over the masters, not all on one.
const cluster = clusterClient(process.env, { shardedSubscribers: true });

try {
  await createJobcastServer<{ id: string }>({
    httpServer,
    redis: cluster ?? REDIS_URL,
    bullPrefix: bullPrefixFor(process.env),
    queues: [QUEUE],
    keyPrefix: KEY_PREFIX,
    nodeId: NODE_ID,
    authenticate: ({ token }) => (token ? { id: token } : null),
    channels: { 'bench:{id}': () => true },
    // The bench reads `n` to match events and `doneAt` (set by the worker's processor) to time them.
    project: { [QUEUE]: { schema: z.object({ n: z.number(), doneAt: z.number().optional() }), select: ({ returnvalue }) => returnvalue } },
    limits: { messageRate: 10_000, messageBurst: 10_000, subscribeRate: 10_000, subscribeBurst: 10_000 },
    maxBufferedPackets: 100_000,
  });
} catch (error) {
  console.log(`failed ${(error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ')}`);
  process.exit(1);
}

let cpuSince = process.cpuUsage();
httpServer.listen(0, '127.0.0.1', () => console.log(`ready ${(httpServer.address() as AddressInfo).port}`));
process.on('message', (message) => {
  if (message !== 'stats') return;
  const cpu = process.cpuUsage(cpuSince);
  cpuSince = process.cpuUsage();
  process.send?.({ cpuMs: (cpu.user + cpu.system) / 1_000, rss: process.memoryUsage().rss });
});
process.on('SIGTERM', () => process.exit(0));
