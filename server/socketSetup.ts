import type { IncomingMessage } from 'node:http';
import type { Redis } from 'ioredis';
import { PROTOCOL_VERSION, type ErrorCode, type StatusEvent } from '../shared/index.js';
import { authenticateContext, createAuthMiddleware } from './auth.js';
import { JobcastError } from './errors.js';
import type { JobcastIo } from './jobcastIo.js';
import { ORIGIN_REFUSAL, type OriginPolicy } from './origins.js';
import { DEFAULT_SOCKET_LIMITS } from './limits.js';
import type { JobcastMetrics } from './metrics.js';
import type { Authenticate, JobcastServerOptions, Logger, ResolvedKnobs } from './options.js';
import type { RoomAccess } from './roomAccess.js';
import type { WorkerIdentityPolicy } from './security/workerIdentity.js';
import { Sessions, defaultUserPolicy, type UserPolicy } from './sessions.js';
import { registerSocketHandlers } from './socketHandlers.js';
import type { Keys } from './store/keys.js';
import type { RoomStore } from './store/roomStore.js';

/** `authenticate` as configured, or jobcast token verification when only `tokens` was given. */
export function resolveAuthenticate<User>(options: JobcastServerOptions<User>): Authenticate<User> {
  if (options.authenticate) return options.authenticate;
  const tokens = options.tokens!;
  return ({ token }) => tokens.verify(token ?? '') as User;
}

/**
 * Everything between a browser and the rooms: the Origin check (in `allowRequest`, before
 * any WebSocket exists) with CORS for long-polling from the same allowlist, handshake authentication with a per-user connection limit, live
 * sessions (expiry, refresh, revoke), and the protocol handlers with their limits.
 */
export function setupSockets<User>(args: {
  io: JobcastIo<User>;
  options: JobcastServerOptions<User>;
  knobs: ResolvedKnobs;
  authenticate: Authenticate<User>;
  access: RoomAccess<User>;
  store: RoomStore;
  redis: Redis;
  keys: Keys;
  metrics: JobcastMetrics;
  logger: Logger;
  reconcileStale: (events: StatusEvent[]) => void;
  /** The Origin allowlist (from `allowedOrigins`), shared with the router's CORS. */
  origins: OriginPolicy | undefined;
  /** Who sees the worker's host and pid; undefined when everyone does (`exposeWorkerIdentity`). */
  workerIdentity: WorkerIdentityPolicy<User> | undefined;
}): Sessions<User> {
  const { io, options, knobs, logger, metrics } = args;
  const policy: UserPolicy<User> = {
    userKey: options.userKey ?? defaultUserPolicy.userKey,
    expiresAt: options.expiresAt ?? defaultUserPolicy.expiresAt,
  };
  const breach = (code: ErrorCode, detail: Record<string, unknown>) => {
    metrics.breach(code);
    logger.warn({ code, ...detail }, 'limit breached');
  };

  const { origins } = args;
  if (origins) {
    // CORS for Socket.IO's long-polling, from the same list that admits a WebSocket.
    io.engine.use(origins.cors);
    const previous = io.engine.opts.allowRequest;
    io.engine.opts.allowRequest = (request: IncomingMessage, callback: (error: string | null | undefined, success: boolean) => void) => {
      const origin = request.headers.origin;
      if (!origins.allows(origin)) {
        breach('ORIGIN_NOT_ALLOWED', { origin });
        // Engine.IO answers 403 with the JSON body { code: 4, message: "ORIGIN_NOT_ALLOWED" }; let the refused page read it.
        origins.exposeRefusal(request);
        return callback(ORIGIN_REFUSAL, false);
      }
      if (previous) return previous(request, callback);
      callback(null, true);
    };
  }

  const connections = new Map<string, number>();
  io.use(createAuthMiddleware(args.authenticate, logger));
  if (knobs.maxConnectionsPerUser !== undefined) {
    const max = knobs.maxConnectionsPerUser;
    io.use((socket, next) => {
      const key = policy.userKey(socket.data.user);
      if (key === undefined) return next();
      const count = connections.get(key) ?? 0;
      if (count >= max) {
        breach('TOO_MANY_SUBSCRIPTIONS', { userKey: key, connections: count });
        const error = new JobcastError('RATE_LIMITED', `At most ${max} connections per user.`);
        return next(Object.assign(new Error(error.message), { data: { code: error.code, message: error.message } }));
      }
      // The client left while `authenticate` ran: Socket.IO drops this handshake, so it takes no place.
      if (socket.conn.readyState !== 'open') return next();
      connections.set(key, count + 1);
      // The place is held from here; a handshake that never completes (the client left while a
      // later middleware ran, or one refused it) has no 'disconnect': its connection closing frees it.
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        socket.conn.off('close', release);
        const left = (connections.get(key) ?? 1) - 1;
        if (left <= 0) connections.delete(key);
        else connections.set(key, left);
      };
      socket.once('disconnect', release);
      socket.conn.once('close', release);
      next();
    });
  }
  const { workerIdentity } = args;
  if (workerIdentity) {
    // Settled before the connection exists, so no status reaches the socket before it is known.
    io.use((socket, next) => {
      workerIdentity.maySee(socket.data.user).then((debug) => {
        socket.data.debug = debug;
        next();
      }, next);
    });
  }

  const sessions = new Sessions<User>({
    io,
    redis: args.redis,
    keys: args.keys,
    access: args.access,
    policy,
    revokeTtlMs: knobs.revokeTtlMs,
    logger,
  });
  registerSocketHandlers(io, {
    access: args.access,
    store: args.store,
    sessions,
    limits: { ...DEFAULT_SOCKET_LIMITS, ...knobs.limits },
    logger,
    reconcileStale: args.reconcileStale,
    workerIdentity,
    authenticate: (token, socket) =>
      authenticateContext(args.authenticate, {
        token,
        headers: socket.handshake.headers,
        address: socket.handshake.address,
        origin: socket.handshake.headers.origin,
      }),
    onBreach: (code, socketId) => breach(code, { socketId }),
    onSubscribe: ({ code, since, mode, resync }) =>
      metrics.subscribed(code, since ? (mode === 'replay' ? 'replay' : `resync:${resync ?? 'unknown'}`) : undefined),
    hello: (socket) => {
      const expiresAt = policy.expiresAt(socket.data.user);
      return {
        protocol: PROTOCOL_VERSION,
        nodeId: knobs.nodeId,
        window: { historySize: knobs.historySize, historyTtlMs: knobs.historyTtlMs },
        ...(expiresAt === undefined ? {} : { expiresAt }),
      };
    },
  });
  return sessions;
}
