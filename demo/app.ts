/**
 * The demo's web server: the app API, the jobcast push server, bull-board at
 * /admin/queues, and the React page served by Vite, all on one HTTP server.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Queue } from 'bullmq';
import express from 'express';
import { createServer as createVite } from 'vite';
import { z } from 'zod';
import { createJobcastServer, createTokenIssuer, type TokenClaims } from '../server/index.js';
import { createTypedEnqueuer } from '../server/worker/index.js';
import { createApiRouter } from './api.js';
import { APP_VERSION, FAULT_REASON_PREFIX, isDemoUser, jobs, type DemoNames } from './config.js';
import type { WorkerCommand, WorkersState } from './ipc.js';
import { DemoStore } from './store.js';

/** What of a finished summary job the page may see: the summary and whether it came from the cache. */
const SummaryDataSchema = z.object({ summary: z.string(), cached: z.boolean(), sentences: z.number(), picked: z.number() });

export interface DemoAppOptions {
  redisUrl: string;
  names: DemoNames;
  workers: (command: WorkerCommand) => Promise<WorkersState>;
}

export interface DemoApp {
  httpServer: Server;
  /** The app's Redis connection (its state tells whether Redis is still there). */
  redis: DemoStore['redis'];
  close(): Promise<void>;
}

export async function createDemoApp(options: DemoAppOptions): Promise<DemoApp> {
  const { redisUrl, names } = options;
  const store = new DemoStore(redisUrl, names.appPrefix);
  await store.seed();
  const app = express();
  const httpServer = createServer(app);
  // A fresh secret per start: tokens from an earlier run stop working, which the page handles by signing in again.
  const tokens = createTokenIssuer({ secret: randomBytes(32) });

  const jobcast = await createJobcastServer<TokenClaims>({
    httpServer,
    redis: redisUrl,
    queues: [names.queue],
    keyPrefix: names.keyPrefix,
    tokens,
    channels: {
      // Checked on every (re)subscribe: only the owner of a document hears its jobs.
      'document:{id}': async (user, { id }) => (await store.ownerOf(id ?? '')) === user.sub,
    },
    // It is a demo: both users may open the server side of the debug panel.
    canDebug: (user) => isDemoUser(user.sub),
    expectedWorkerVersion: APP_VERSION,
    project: {
      [names.queue]: {
        schema: SummaryDataSchema,
        select: ({ returnvalue }) => returnvalue,
        // Only the faults the demo injects get a specific public message; anything else stays "The job failed.".
        failure: (reason) =>
          reason.startsWith(FAULT_REASON_PREFIX)
            ? { code: 'INJECTED_FAULT', message: 'The summarizer failed on purpose: a fault is set in the failure controls.' }
            : undefined,
      },
    },
  });
  app.use('/jobcast', jobcast.router);

  const enqueuer = createTypedEnqueuer({ redis: redisUrl, keyPrefix: names.keyPrefix, jobs });
  app.use('/api', createApiRouter({ store, tokens, enqueuer, queue: names.queue, workers: options.workers }));

  // bull-board: the operations view of the same queue (give it the events length jobcast uses: every Queue rewrites it).
  const boardQueue = new Queue(names.queue, { connection: { url: redisUrl }, streams: { events: { maxLen: 10_000 } } });
  boardQueue.on('error', () => undefined);
  const board = new ExpressAdapter();
  board.setBasePath('/admin/queues');
  createBullBoard({ queues: [new BullMQAdapter(boardQueue)], serverAdapter: board, options: { uiConfig: { boardTitle: 'jobcast demo' } } });
  app.use('/admin/queues', board.getRouter());

  // The page: Vite compiles the React app on request (no build step, works offline).
  const cacheDir = mkdtempSync(join(tmpdir(), 'jobcast-demo-vite-'));
  // Also on a hurried exit (Ctrl-C took Redis down first), which skips close().
  const removeCache = () => rmSync(cacheDir, { recursive: true, force: true });
  process.once('exit', removeCache);
  const vite = await createVite({
    configFile: false,
    root: fileURLToPath(new URL('./web', import.meta.url)),
    cacheDir,
    appType: 'spa',
    logLevel: 'warn',
    clearScreen: false,
    // HMR rides on our own HTTP server (next to Socket.IO), so the page needs no second port.
    server: { middlewareMode: true, hmr: { server: httpServer } },
    esbuild: { jsx: 'automatic' },
    // Every dependency named up front: no discovery, so the page never reloads itself mid-test.
    optimizeDeps: {
      noDiscovery: true,
      include: ['react', 'react/jsx-runtime', 'react/jsx-dev-runtime', 'react-dom', 'react-dom/client', 'socket.io-client', 'zod'],
    },
  });
  app.use(vite.middlewares);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      httpServer.closeAllConnections();
      await jobcast.close();
      await Promise.allSettled([vite.close(), enqueuer.close(), boardQueue.close(), store.close()]);
      await new Promise((resolve) => httpServer.close(resolve));
      removeCache();
    })());
  return { httpServer, redis: store.redis, close };
}
