/**
 * A real BullMQ worker for the real-worker phases. Each job "works" WORK_MS (waiting, as a job
 * awaiting an API would), then returns `{ n, doneAt }`: `doneAt` is the moment the processor
 * returns, the start of the measured latency. Env: REDIS_URL, QUEUE, CONCURRENCY, WORK_MS.
 * Prints `ready`; answers the IPC message 'report' with the jobs it finished and how long
 * BullMQ took, after each processor returned, to record the completion (the worker's share of
 * the measured latency), for jobs numbered FIRST_N and up. REDIS_CLUSTER instead of REDIS_URL
 * runs it on a Redis Cluster (see benchRedis.ts).
 */
import { Worker } from 'bullmq';
import { bullPrefixFor, clusterClient } from './benchRedis.js';
import { machineNow, percentile } from './load.js';

const { REDIS_URL = '', QUEUE = 'bench', CONCURRENCY = '100', WORK_MS = '20' } = process.env;
const workMs = Number(WORK_MS);
let finished = 0;
const worker = new Worker<{ n: number }>(
  QUEUE,
  async (job) => {
    if (workMs > 0) await new Promise((resolve) => setTimeout(resolve, workMs));
    finished++;
    return { n: job.data.n, doneAt: machineNow() };
  },
  { connection: clusterClient(process.env) ?? { url: REDIS_URL }, prefix: bullPrefixFor(process.env), concurrency: Number(CONCURRENCY) },
);
const recordMs: number[] = [];
let firstN = 0;
worker.on('completed', (job, result: { n: number; doneAt: number }) => {
  if (result.n >= firstN) recordMs.push(machineNow() - result.doneAt);
});
worker.on('error', (error) => console.error(`[bench worker] ${error.message}`));
await worker.waitUntilReady();
console.log('ready');
process.on('message', (message) => {
  if (typeof message === 'string' && message.startsWith('measure-from ')) {
    firstN = Number(message.slice('measure-from '.length));
    recordMs.length = 0;
    process.send?.({ ok: true });
  } else if (message === 'report') {
    process.send?.({ finished, recordP50: percentile(recordMs, 50), recordP99: percentile(recordMs, 99) });
  }
});
process.on('SIGTERM', () => void worker.close().finally(() => process.exit(0)));
