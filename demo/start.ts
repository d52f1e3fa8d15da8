/** `npm run demo`: its own Redis (unless REDIS_URL is set), the jobcast server with the app API, a worker, the page. */
import { startRedisServer } from '../scripts/redisServer.js';
import { startDemoServer } from './server.js';
import { startDemoWorker } from './worker.js';

const redis = process.env.REDIS_URL ? undefined : await startRedisServer();
const redisUrl = process.env.REDIS_URL ?? redis!.url;
const port = Number(process.env.PORT ?? 3000);
const server = await startDemoServer({ redisUrl, port });
const worker = startDemoWorker(redisUrl);

console.log(`\njobcast demo running at http://localhost:${port}/  (Redis: ${redisUrl})\nPress Ctrl-C to stop.\n`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping…');
  await worker.close();
  await server.close();
  await redis?.dispose();
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
