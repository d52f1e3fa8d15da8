/**
 * A process that starts jobcast in one of the ways start-up can fail (SCENARIO), then prints
 * one JSON line: the error, the intervals still scheduled (unref'd ones do not keep a process
 * alive but still run) and the active resources. It never calls process.exit: the test checks
 * that it ends by itself, which it cannot while a connection, socket or timer is left open.
 */
import { createServer } from 'node:http';

const intervals = new Set<unknown>();
const { setInterval: schedule, clearInterval: unscheduleInterval, clearTimeout: unscheduleTimeout } = globalThis;
globalThis.setInterval = ((...args: Parameters<typeof schedule>) => {
  const timer = schedule(...args);
  intervals.add(timer);
  return timer;
}) as typeof setInterval;
globalThis.clearInterval = ((timer?: Parameters<typeof unscheduleInterval>[0]) => {
  intervals.delete(timer);
  unscheduleInterval(timer);
}) as typeof clearInterval;
globalThis.clearTimeout = ((timer?: Parameters<typeof unscheduleTimeout>[0]) => {
  intervals.delete(timer);
  unscheduleTimeout(timer);
}) as typeof clearTimeout;

// Imported after the timers are wrapped, so every interval they schedule is seen.
const { Redis } = await import('ioredis');
const { createJobcastServer } = await import('../../server/index.js');

const scenario = process.env.SCENARIO;
const redisUrl = process.env.REDIS_URL!;
const httpServer = createServer();
const base = {
  httpServer,
  queues: [`startup-${process.pid}`],
  keyPrefix: `startup-${process.pid}`,
  authenticate: () => ({ id: 'x' }),
  channels: { 'document:{id}': () => true },
};
let error: string | undefined;
let appRedis: InstanceType<typeof Redis> | undefined;
try {
  if (scenario === 'unreachable') {
    await createJobcastServer({ ...base, redis: `redis://127.0.0.1:${process.env.CLOSED_PORT}` });
  } else if (scenario === 'bad-channel') {
    await createJobcastServer({ ...base, redis: redisUrl, channels: { nope: () => true } });
  } else if (scenario === 'fails-midway') {
    // The app's own client: the fifth connection jobcast opens from it (a queue's reader) fails,
    // after Socket.IO, its adapter, the queues and the first connections exist.
    appRedis = new Redis(redisUrl);
    const duplicate = appRedis.duplicate.bind(appRedis);
    let opened = 0;
    appRedis.duplicate = ((...args: Parameters<typeof duplicate>) => {
      if (++opened === 5) throw new Error('no more connections for jobcast');
      return duplicate(...args);
    }) as typeof duplicate;
    await createJobcastServer({ ...base, redis: appRedis });
  } else if (scenario === 'port-in-use') {
    const server = await createJobcastServer({ ...base, redis: redisUrl });
    try {
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(Number(process.env.BUSY_PORT), '127.0.0.1', resolve);
      });
    } catch (cause) {
      await server.close(); // what an app does when its port is taken
      throw cause;
    }
  } else if (scenario === 'close-redis-gone') {
    // An app shutting down during a Redis outage: close must still finish. It closes once ioredis
    // has given up its first round of retries (20 failed reconnections of jobcast's command
    // connection): from then on, each command waits out 21 more, 2 s apart.
    const { startRedisServer } = await import('../../scripts/redisServer.js');
    const ownRedis = await startRedisServer();
    let failedReconnections = 0;
    let givenUp: () => void = () => undefined;
    const roundOver = new Promise<void>((resolve) => (givenUp = resolve));
    const warn = (fields: { connection?: string }, message: string) => {
      if (message === 'Redis connection error' && fields.connection === 'commands' && ++failedReconnections === 21) givenUp();
    };
    const logger = { debug: () => undefined, info: () => undefined, warn, error: () => undefined };
    const server = await createJobcastServer({ ...base, redis: ownRedis.url, logger });
    await ownRedis.kill();
    await roundOver;
    await server.close();
    await ownRedis.dispose();
    error = 'closed';
  } else {
    throw new Error(`unknown SCENARIO ${scenario}`);
  }
} catch (cause) {
  error = cause instanceof Error ? cause.message : String(cause);
}
await appRedis?.quit();
await new Promise((resolve) => setTimeout(resolve, 200));
console.log(
  JSON.stringify({
    error,
    intervals: intervals.size,
    resources: process.getActiveResourcesInfo(),
    httpListeners: httpServer.listenerCount('request') + httpServer.listenerCount('upgrade'),
  }),
);
