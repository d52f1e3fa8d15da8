/**
 * The conformance suite's jobcast server node, run as its own process so a fault can SIGKILL
 * it. Configured by environment: REDIS_URL (or REDIS_CLUSTER_NODES=host:port,… and
 * BULL_PREFIX for a Redis Cluster), QUEUES (comma-separated), KEY_PREFIX, NODE_ID, PORT.
 * Prints `ready <port>` once it accepts connections. JOBCAST_CANARY passes through to the
 * server untouched.
 *
 * Every queue projects the workload's tag (`data.tag`, and the return value's `tag`) and the
 * failure reason (which names the tag too): that is how the suite tells which incarnation of a
 * job a status is about, whatever the server's incarnation looks like.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Cluster } from 'ioredis';
import { pino } from 'pino';
import { z } from 'zod';
import { createJobcastServer } from '../../server/index.js';
import { canSee, type ConformanceUser } from './rooms.js';

const env = (name: string) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};

const tagOf = (value: unknown): string | undefined =>
  value && typeof value === 'object' && typeof (value as { tag?: unknown }).tag === 'string' ? (value as { tag: string }).tag : undefined;

const queues = env('QUEUES').split(',');
// A cluster client with ioredis's defaults: the server duplicates it with the options each of its connections needs.
const clusterNodes = process.env.REDIS_CLUSTER_NODES?.split(',').filter(Boolean).map((node) => ({ host: node.split(':')[0]!, port: Number(node.split(':')[1]) }));
const redis = clusterNodes?.length ? new Cluster(clusterNodes) : env('REDIS_URL');
// `tag` from the job's data; `resultTag` from the completed event's own return value, so a
// completion names its incarnation even when the server pairs it with another one's data.
const projection = {
  schema: z.object({ tag: z.string().optional(), resultTag: z.string().optional() }),
  select: ({ data, returnvalue }: { data: unknown; returnvalue?: unknown }) => {
    const tag = tagOf(data);
    const resultTag = tagOf(returnvalue);
    if (tag === undefined && resultTag === undefined) return undefined;
    return { ...(tag === undefined ? {} : { tag }), ...(resultTag === undefined ? {} : { resultTag }) };
  },
  failure: (reason: string) => ({ code: 'JOB_FAILED', message: reason.slice(0, 300) }),
};

const app = express();
const httpServer = createServer(app);
const server = await createJobcastServer<ConformanceUser>({
  httpServer,
  redis,
  ...(process.env.BULL_PREFIX ? { bullPrefix: process.env.BULL_PREFIX } : {}),
  queues,
  keyPrefix: env('KEY_PREFIX'),
  nodeId: env('NODE_ID'),
  authenticate: ({ token }) => (token?.startsWith('user:') ? { id: token.slice(5) } : null),
  channels: { 'document:{id}': (user, { id }) => canSee(user.id, `document:${id}`) },
  project: Object.fromEntries(queues.map((queue) => [queue, projection])),
  // Every job of a room stays in its snapshot, so a late or resynced client can be compared job by job.
  snapshotJobs: 10_000,
  historySize: 2_000,
  dataLossCheckMs: 500,
  // CONFORMANCE_LOG_DIR: each node's log in its own file there, to follow one job through a run.
  ...(process.env.CONFORMANCE_LOG_DIR ? { logger: pino(pino.destination({ dest: `${process.env.CONFORMANCE_LOG_DIR}/${env('NODE_ID')}.log`, append: true, sync: true })) } : {}),
  limits: { subscribeRate: 100, subscribeBurst: 100, messageRate: 500, messageBurst: 1_000 },
});
app.use('/jobcast', server.router);
httpServer.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`ready ${(httpServer.address() as AddressInfo).port}`);
});
process.on('SIGTERM', async () => {
  await server.close();
  if (typeof redis !== 'string') await redis.quit().catch(() => undefined);
  process.exit(0);
});
