/**
 * A jobcast worker in a process of its own, so a test can SIGKILL it mid-job. Configured by
 * environment: REDIS_URL, QUEUE, KEY_PREFIX, HANG (1: a job hangs inside its first step).
 * Prints `ready` once it listens and `active <jobId>` when a job starts.
 */
import { createJobcastWorker, step } from '../../server/worker/index.js';

const { REDIS_URL, QUEUE, KEY_PREFIX, HANG } = process.env;
if (!REDIS_URL || !QUEUE) throw new Error('REDIS_URL and QUEUE are required');

const worker = createJobcastWorker(
  QUEUE,
  async (job) => {
    console.log(`active ${job.id}`);
    return step('work', async () => {
      if (HANG === '1') await new Promise(() => undefined);
      return 'done';
    });
  },
  // The default 30 s lock: BullMQ's stalled check is far off, so what a test sees first is jobcast's.
  { connection: REDIS_URL, ...(KEY_PREFIX ? { keyPrefix: KEY_PREFIX } : {}), version: 'test-1' },
);
worker.on('error', () => undefined);
await worker.waitUntilReady();
console.log('ready');
