import { Router, type Request, type Response } from 'express';
import { bearerToken, authenticateContext } from './auth.js';
import { toJobcastError, toWireError } from './errors.js';
import type { Authenticate } from './options.js';
import type { RoomAccess } from './roomAccess.js';
import type { RoomStore } from './store/roomStore.js';

const STATUS_BY_CODE: Record<string, number> = {
  UNAUTHENTICATED: 401,
  TOKEN_EXPIRED: 401,
  FORBIDDEN: 403,
  INVALID_ROOM: 404,
  BAD_REQUEST: 400,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
};

export interface HttpRouterDeps<User> {
  authenticate: Authenticate<User>;
  access: RoomAccess<User>;
  store: RoomStore;
  health: () => Promise<{ ok: boolean } & Record<string, unknown>>;
}

/** The HTTP side: `GET /health`, and `GET /rooms/:room` (a room's snapshot, authorized like a subscription). */
export function createHttpRouter<User>(deps: HttpRouterDeps<User>): Router {
  const router = Router();

  router.get('/health', async (_request, response) => {
    const health = await deps.health();
    response.status(health.ok ? 200 : 503).json(health);
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
      await deps.access.authorize(user, room);
      const read = await deps.store.readRoom(room, undefined);
      response.json({ room, epoch: read.epoch, seq: read.seq, jobs: read.events });
    } catch (cause) {
      const error = toJobcastError(cause);
      response.status(STATUS_BY_CODE[error.code] ?? 500).json({ error: toWireError(error) });
    }
  });

  return router;
}
