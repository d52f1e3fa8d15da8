/**
 * `npm run demo`: its own Redis (unless REDIS_URL is set), the web server (app API,
 * jobcast, bull-board, the React page) and a worker, each its own process. Ctrl-C stops all.
 * Environment: PORT (default 3000; the next free one is taken when busy), DEMO_HOST (default 127.0.0.1), REDIS_URL,
 * DEMO_LOG (the worker's step logs: info, debug; default warn).
 */
import { startDemo } from './startDemo.js';

console.log('Starting the jobcast demo: Redis, web server, worker…');
const demo = await startDemo({
  port: Number(process.env.PORT ?? 3000),
  ...(process.env.DEMO_HOST ? { host: process.env.DEMO_HOST } : {}),
  ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
  ...(process.env.DEMO_LOG ? { logLevel: process.env.DEMO_LOG } : {}),
}).catch((error: unknown) => {
  console.error(`\nThe demo did not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

if (demo.busyPort !== undefined) console.log(`Port ${demo.busyPort} is busy, so the demo uses port ${demo.port}.`);
console.log(
  [
    '',
    `  jobcast demo:  ${demo.url}`,
    `  bull-board:    ${demo.url}admin/queues`,
    `  Redis:         ${demo.redisUrl}${process.env.REDIS_URL ? '' : ' (throwaway, removed on exit)'}`,
    '',
    '  Press Ctrl-C to stop everything.',
    '',
  ].join('\n'),
);

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the worker, the web server and Redis…`);
  const forced = setTimeout(() => {
    console.error('Still stopping after 30 s: exiting anyway.');
    process.exit(1);
  }, 30_000);
  forced.unref();
  await demo.stop();
  console.log('Stopped.');
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGHUP', () => void shutdown('SIGHUP'));
