import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { createServer as createVite } from 'vite';
import { z } from 'zod';
import { createJobcastServer } from '../server/index.js';
import { SUMMARY_QUEUE } from './worker.js';

interface DemoUser {
  name: string;
}

/** Documents and who owns them. */
export const DOCUMENTS: Record<string, { owner: string; title: string; text: string }> = {
  '1': {
    owner: 'alice',
    title: 'Background jobs',
    text: 'Background jobs keep web requests fast. They move slow work out of the request. But a page that waits for a job needs to hear when it ends. Without that, users stare at a spinner.',
  },
  '2': {
    owner: 'bob',
    title: 'Realtime delivery',
    text: 'A socket can drop at any moment. Messages sent while it was down are lost unless the server keeps them. A cursor lets the client ask for what it missed.',
  },
};

const userFrom = (token: string | undefined): DemoUser | null => (token === 'alice' || token === 'bob' ? { name: token } : null);

/** The demo's web server: the app API, jobcast, and the page (served by Vite). */
export async function startDemoServer(options: { redisUrl: string; port: number }) {
  const app = express();
  const httpServer = createServer(app);
  const jobcast = await createJobcastServer<DemoUser>({
    httpServer,
    redis: options.redisUrl,
    queues: [SUMMARY_QUEUE],
    authenticate: ({ token }) => userFrom(token),
    channels: { 'document:{id}': (user, { id }) => DOCUMENTS[id!]?.owner === user.name },
    project: { [SUMMARY_QUEUE]: { schema: z.object({ summary: z.string() }), select: ({ returnvalue }) => returnvalue } },
  });
  app.use('/jobcast', jobcast.router);
  app.use(express.json());
  app.get('/api/documents', (_request, response) => response.json(DOCUMENTS));
  app.post('/api/documents/:id/summarize', async (request, response) => {
    const user = userFrom(request.headers.authorization?.replace(/^Bearer /, ''));
    const document = DOCUMENTS[request.params.id];
    if (!user || !document || document.owner !== user.name) return void response.status(403).json({ error: 'not your document' });
    const job = await jobcast.enqueue(SUMMARY_QUEUE, 'summarize', { text: document.text }, { rooms: [`document:${request.params.id}`] });
    response.status(202).json(job);
  });
  const vite = await createVite({
    root: fileURLToPath(new URL('./web', import.meta.url)),
    server: { middlewareMode: true, hmr: false },
    appType: 'spa',
    logLevel: 'warn',
  });
  app.use(vite.middlewares);
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, '127.0.0.1', () => resolve());
  });
  return {
    httpServer,
    close: async () => {
      await jobcast.close();
      await vite.close();
      httpServer.closeAllConnections();
      await new Promise((resolve) => httpServer.close(resolve));
    },
  };
}
