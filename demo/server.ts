/**
 * The web server process of the demo (started by demo/startDemo.ts). It tells the
 * supervisor its port once it listens, and asks it to start and stop workers.
 */
import { createDemoApp } from './app.js';
import { namesFor, readChildConfig } from './config.js';
import { createWorkerControl } from './ipc.js';
import { exitOnShutdown } from './shutdown.js';

const config = readChildConfig();
const demo = await createDemoApp({ redisUrl: config.redisUrl, names: namesFor(config.namespace), workers: createWorkerControl() });

exitOnShutdown({ redis: demo.redis, capMs: 8_000, close: demo.close });

demo.httpServer.once('error', (error: NodeJS.ErrnoException) => {
  process.send?.({ type: 'listen-error', code: error.code, message: error.message });
  void demo.close().finally(() => process.exit(1));
});
demo.httpServer.listen(config.port ?? 3000, config.host ?? '127.0.0.1', () => {
  const address = demo.httpServer.address();
  process.send?.({ type: 'listening', port: typeof address === 'object' && address ? address.port : config.port });
});
