/**
 * A worker process of the demo (started by demo/startDemo.ts, one per "Start worker"). Its
 * code version comes from APP_VERSION, so the supervisor can start an old one on purpose.
 */
import { pino } from 'pino';
import { createJobcastWorker } from '../server/worker/index.js';
import { APP_VERSION, namesFor, readChildConfig } from './config.js';
import { exitOnShutdown } from './shutdown.js';
import { DemoStore } from './store.js';
import { createSummarizeProcessor } from './summarizeJob.js';

const config = readChildConfig();
const names = namesFor(config.namespace);
const version = process.env.APP_VERSION ?? APP_VERSION;
const store = new DemoStore(config.redisUrl, names.appPrefix);

const worker = createJobcastWorker(names.queue, createSummarizeProcessor(store), {
  connection: config.redisUrl,
  keyPrefix: names.keyPrefix,
  version,
  // A retry skips the steps an earlier attempt completed.
  checkpoint: true,
  concurrency: 2,
  logger: pino({ level: config.logLevel ?? 'warn', base: { worker_version: version } }),
});
worker.on('error', (error) => console.error(`worker error: ${error.message}`));

// Lets the running jobs finish first (the supervisor kills a worker that takes longer).
exitOnShutdown({
  redis: store.redis,
  capMs: 14_000,
  close: async () => {
    await worker.close();
    await store.close();
  },
});

await worker.waitUntilReady();
process.send?.({ type: 'ready', version });
