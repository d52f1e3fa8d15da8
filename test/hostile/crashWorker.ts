/**
 * A BullMQ worker in a process of its own, so the suite can SIGKILL it mid-job. Configured by
 * environment: REDIS_URL (or REDIS_CLUSTER_NODES=host:port,… and BULL_PREFIX for a Redis
 * Cluster), QUEUE, HANG (1: jobs never finish, waiting to be killed).
 * Prints `ready` once it listens and `active <jobId>` when a job starts.
 */
import { Worker } from 'bullmq';
import { Cluster } from 'ioredis';

const { REDIS_URL, REDIS_CLUSTER_NODES, BULL_PREFIX, QUEUE, HANG } = process.env;
if (!(REDIS_URL || REDIS_CLUSTER_NODES) || !QUEUE) throw new Error('REDIS_URL (or REDIS_CLUSTER_NODES) and QUEUE are required');
const clusterNodes = REDIS_CLUSTER_NODES ? REDIS_CLUSTER_NODES.split(',').map((node) => ({ host: node.split(':')[0]!, port: Number(node.split(':')[1]) })) : undefined;

const worker = new Worker(
  QUEUE,
  async (job) => {
    await job.updateProgress(10);
    console.log(`active ${job.id}`);
    if (HANG === '1') await new Promise(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await job.updateProgress(90);
    return 'done';
  },
  {
    connection: clusterNodes ? new Cluster(clusterNodes, { redisOptions: { maxRetriesPerRequest: null } }) : { url: REDIS_URL, maxRetriesPerRequest: null },
    ...(BULL_PREFIX ? { prefix: BULL_PREFIX } : {}),
    stalledInterval: 1_000,
    lockDuration: 2_000,
    concurrency: 4,
  },
);
worker.on('error', () => undefined);
await worker.waitUntilReady();
console.log('ready');
process.on('SIGTERM', async () => {
  await worker.close(true);
  process.exit(0);
});
