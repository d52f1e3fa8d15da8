import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Registry } from 'prom-client';
import { bearerToken, authenticateContext } from './auth.js';
import { sendError } from './httpErrors.js';
import type { OriginPolicy } from './origins.js';
import type { Authenticate, Logger } from './options.js';
import type { RoomAccess } from './roomAccess.js';
import type { RoomStore } from './store/roomStore.js';
import type { WorkerIdentityPolicy } from './security/workerIdentity.js';
import type { Sessions } from './sessions.js';

export interface HttpRouterDeps<User> {
  authenticate: Authenticate<User>;
  access: RoomAccess<User>;
  store: RoomStore;
  health: () => Promise<{ ok: boolean } & Record<string, unknown>>;
  logger: Logger;
  metrics: Registry;
  sessions: Sessions<User>;
  /** The Origin allowlist for CORS (the one `allowRequest` checks); none: no CORS headers. */
  origins: OriginPolicy | undefined;
  /** Limits the routes that read Redis (snapshots, debug views) per token and per address. */
  rateLimit: RequestHandler;
  /** Who sees the worker's host and pid in snapshots; undefined when everyone does (`exposeWorkerIdentity`). */
  workerIdentity: WorkerIdentityPolicy<User> | undefined;
}

/**
 * The HTTP side: `GET /health`, and `GET /rooms/:room` (a room's snapshot, authorized like a
 * subscription, rate-limited), with CORS for the origins in `allowedOrigins`.
 */
export function createHttpRouter<User>(deps: HttpRouterDeps<User>): Router {
  const router = Router();
  // A page on another origin (a dev server on another port, the debug panel) may read the
  // routes when its Origin is allowed: CORS headers and preflight from the socket allowlist.
  const { origins } = deps;
  if (origins) router.use((request, response, next) => origins.cors(request, response, next));
  // Before authentication: a flood of made-up tokens is refused without a lookup each.
  router.use(['/rooms', '/debug'], deps.rateLimit);

  router.get('/health', async (_request, response) => {
    const health = await deps.health();
    response.status(health.ok ? 200 : 503).json(health);
  });

  // Mount the router behind your own auth if the metrics should not be public.
  router.get('/metrics', async (_request, response) => {
    response.type(deps.metrics.contentType).send(await deps.metrics.metrics());
  });

  router.get('/rooms/:room', async (request: Request<{ room: string }>, response: Response) => {
    try {
      const user = await authenticateContext(deps.authenticate, {
        token: bearerToken(request.headers),
        headers: request.headers,
        address: request.socket.remoteAddress,
        origin: request.headers.origin,
      });
      const room = request.params.room;
      // The same rules as a subscribe: revoked access and expired credentials, then the channel rule.
      await deps.sessions.assertMayRead(user, room);
      await deps.access.authorize(user, room);
      const read = await deps.store.readRoom(room, undefined);
      const { workerIdentity } = deps;
      const jobs = workerIdentity && !(await workerIdentity.maySee(user)) ? workerIdentity.filter.events(read.events) : read.events;
      response.json({ room, epoch: read.epoch, seq: read.seq, jobs });
    } catch (error) {
      sendError(response, error, deps.logger);
    }
  });

  return router;
}
