/**
 * A BullMQ worker in a process of its own, so the suite can SIGKILL it mid-job. Configured by
 * environment: REDIS_URL, QUEUE, HANG (1: jobs never finish, waiting to be killed).
 * Prints `ready` once it listens and `active <jobId>` when a job starts.
 */
import { Worker } from 'bullmq';

const { REDIS_URL, QUEUE, HANG } = process.env;
if (!REDIS_URL || !QUEUE) throw new Error('REDIS_URL and QUEUE are required');

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
  { connection: { url: REDIS_URL, maxRetriesPerRequest: null }, stalledInterval: 1_000, lockDuration: 2_000, concurrency: 4 },
);
worker.on('error', () => undefined);
await worker.waitUntilReady();
console.log('ready');
process.on('SIGTERM', async () => {
  await worker.close(true);
  process.exit(0);
});
