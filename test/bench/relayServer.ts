/**
 * One relay node for the benchmark, in its own process so its memory can be measured:
 * MODE=jobcast (createJobcastServer with authorization, cursor, history, snapshot) or
 * MODE=raw (the twenty-line relay: QueueEvents → Job.fromId → io.to(room).emit, no auth, no cursor).
 * Env: REDIS_URL, QUEUE, KEY_PREFIX, NODE_ID, ADAPTER=1 for the Socket.IO Redis adapter.
 * Prints `ready <port>`; answers the IPC message 'rss' with its resident set size.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { z } from 'zod';
import { createJobcastServer } from '../../server/index.js';

const { MODE = 'jobcast', REDIS_URL = '', QUEUE = 'bench', KEY_PREFIX = 'bench', NODE_ID = 'node', ADAPTER } = process.env;
const httpServer = createServer();

if (MODE === 'jobcast') {
  await createJobcastServer<{ id: string }>({
    httpServer,
    redis: REDIS_URL,
    queues: [QUEUE],
    keyPrefix: KEY_PREFIX,
    nodeId: NODE_ID,
    redisAdapter: ADAPTER === '1',
    authenticate: ({ token }) => (token ? { id: token } : null),
    channels: { 'bench:{id}': () => true },
    // The public result, as an app would publish a summary: the bench reads `n` to match events.
    project: { [QUEUE]: { schema: z.object({ n: z.number() }), select: ({ returnvalue }) => returnvalue } },
    // The latency phases push thousands of events a second to one connection per room.
    limits: { messageRate: 10_000, messageBurst: 10_000, subscribeRate: 10_000, subscribeBurst: 10_000 },
    maxBufferedPackets: 100_000,
    // Room for the 1,000 events the replay phase misses on purpose.
    historySize: 2_000,
  });
} else {
  const io = new Server(httpServer);
  if (ADAPTER === '1') {
    const pub = new Redis(REDIS_URL);
    io.adapter(createAdapter(pub, pub.duplicate(), { key: `${KEY_PREFIX}:raw` }));
  }
  io.on('connection', (socket) => socket.on('join', (room: string) => void socket.join(room)));
  const queue = new Queue(QUEUE, { connection: { url: REDIS_URL } });
  const events = new QueueEvents(QUEUE, { connection: { url: REDIS_URL } });
  await events.waitUntilReady();
  events.on('completed', async ({ jobId, returnvalue }) => {
    const job = await Job.fromId(queue, jobId);
    const room = (job?.data as { rooms?: string[] } | undefined)?.rooms?.[0];
    if (room) io.to(room).emit('status', { jobId, state: 'completed', returnvalue });
  });
}

httpServer.listen(0, '127.0.0.1', () => console.log(`ready ${(httpServer.address() as AddressInfo).port}`));
process.on('message', (message) => {
  if (message === 'rss') {
    globalThis.gc?.();
    process.send?.({ rss: process.memoryUsage().rss });
  }
});
process.on('SIGTERM', () => process.exit(0));
