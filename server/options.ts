import type { Server as HttpServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { ServerOptions as IoServerOptions } from 'socket.io';
import { z } from 'zod';
import type { Channels } from './channels.js';
import type { Projection } from './ingest/projection.js';
import type { JobcastIo } from './jobcastIo.js';
import type { RedisSource } from './redisConnection.js';
import type { HttpLimits, SocketLimits } from './limits.js';
import type { TokenIssuer } from './tokens.js';

/** What `authenticate` gets to decide who is connecting (a socket handshake or an HTTP request). */
export interface AuthContext {
  /** The bearer token: `auth.token` in the Socket.IO handshake, `Authorization: Bearer …` over HTTP. */
  token: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  address: string | undefined;
  origin: string | undefined;
}

/** Returns the user for a token, or null/undefined to refuse the connection with UNAUTHENTICATED. */
export type Authenticate<User> = (context: AuthContext) => User | null | undefined | Promise<User | null | undefined>;

/** Minimal logger interface (pino-compatible). */
export interface Logger {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

export interface JobcastServerOptions<User, Patterns extends string = string> {
  /** The HTTP server to attach a new Socket.IO server to. Give this or `io`. */
  httpServer?: HttpServer;
  /** An existing Socket.IO server to use instead of creating one (untyped, or typed with your own events too). */
  io?: JobcastIo<User>;
  /**
   * Redis connection: a `redis://` URL, ioredis options naming an address, or an ioredis `Redis`
   * or `Cluster` from any copy of ioredis (recognised by its methods; jobcast duplicates it and never
   * closes yours). Anything else is refused at start-up: jobcast never falls back to 127.0.0.1:6379.
   * On a Redis Cluster pass a `Cluster` (a single node's address is refused) and a hash-tagged
   * `bullPrefix` such as `'{bull}'`.
   */
  redis: RedisSource;
  /** The BullMQ queues whose jobs are reported. */
  queues: string[];
  /**
   * Identifies the user of each connection and HTTP request. Give this or `tokens`, never both
   * (start-up refuses the pair): to accept jobcast tokens here too, call `tokens.verify(token)` inside.
   */
  authenticate?: Authenticate<User>;
  /**
   * Verify jobcast's own signed, room-scoped tokens (see `createTokenIssuer`): a valid token is
   * the user (its claims), scoped to the rooms it names. Give this or `authenticate`, never both.
   */
  tokens?: TokenIssuer;
  /** Page origins allowed to connect (checked in `allowRequest`: CORS does not cover WebSockets). Requests without an Origin (non-browser clients) pass. @default any */
  allowedOrigins?: string[] | ((origin: string) => boolean);
  /** Per-connection limits: subscriptions, subscribe and message rates, message size. */
  limits?: Partial<SocketLimits>;
  /**
   * Rate limits of the HTTP routes that read Redis (`GET /rooms/:room`, the debug views), per
   * bearer token and per client address (`request.ip`: set express's `trust proxy` behind a proxy).
   * A refused request gets 429 `{ error: { code: 'RATE_LIMITED', message } }` with `Retry-After`.
   * @default { snapshotRate: 5, snapshotBurst: 20, snapshotAddressRate: 50, snapshotAddressBurst: 100 }
   */
  httpLimits?: Partial<HttpLimits>;
  /** Connections one user may hold on one node. @default unlimited */
  maxConnectionsPerUser?: number;
  /** How long `revoke(user, room?)` keeps refusing that user's subscribes. @default 900_000 (15 minutes) */
  revokeTtlMs?: number;
  /** The rooms a user's credentials are limited to. @default the `rooms` of jobcast token claims */
  scopeOf?: (user: User) => readonly string[] | undefined;
  /** A stable key per user, for `revoke` and connection limits. @default user.sub ?? user.id */
  userKey?: (user: User) => string | undefined;
  /** When a user's credentials expire (epoch ms); subscriptions are revoked then unless refreshed. @default token `exp` */
  expiresAt?: (user: User) => number | undefined;
  /**
   * Channel patterns and who may subscribe to them; a room that matches none is INVALID_ROOM.
   * Each rule's params are typed from its pattern: `'document:{id}'` gets `{ id: string }`.
   */
  channels: Channels<User, Patterns>;
  /** The app version workers should run; a job run by a worker on another version is flagged STALE_WORKER. */
  expectedWorkerVersion?: string;
  /**
   * Who may read the debug views (`GET /debug`, `GET /debug/rooms/:room`) and see the host and pid
   * of the worker that ran a job in the statuses they receive. @default the user's `debug` claim (jobcast tokens)
   */
  canDebug?: (user: User) => boolean | Promise<boolean>;
  /**
   * Send every subscriber the host and pid of the worker that ran a job (`status.worker`, and the
   * WORKER_LOST / STALE_WORKER texts). Off, only `canDebug` users get them; the others get the
   * status without `worker`. @default false
   */
  exposeWorkerIdentity?: boolean;
  /** Per queue: what of a job a browser may see. Without it, only state, progress, steps and timing are public. */
  project?: Record<string, Projection>;
  /** BullMQ key prefix. @default 'bull' */
  bullPrefix?: string;
  /** Prefix of jobcast's own Redis keys. @default 'jobcast' */
  keyPrefix?: string;
  /** Events kept per room for replay. @default 500 */
  historySize?: number;
  /** A room's history, snapshot and cursor expire after this long without events or subscribers. @default 86_400_000 (one day) */
  historyTtlMs?: number;
  /** Jobs kept in a room's snapshot (the most recently updated). @default 200 */
  snapshotJobs?: number;
  /** How long a job's routing (job → rooms) is kept. @default 604_800_000 (seven days) */
  routeTtlMs?: number;
  /** Max length of BullMQ's events stream, applied by every Queue instance jobcast creates. @default 10_000 */
  eventsMaxLen?: number;
  /** Events read from the stream per round trip. @default 200 */
  readBatchSize?: number;
  /** Packets one socket may have queued before it is disconnected as a slow consumer (it resyncs on return). @default 1_000 */
  maxBufferedPackets?: number;
  /** How often to check that Redis still has jobcast's data (a restart without persistence loses it). @default 5_000 */
  dataLossCheckMs?: number;
  /**
   * One node at a time ingests each queue's events, under a lease it renews every third of
   * this; when it dies, another node takes over within about this long. @default 5_000
   */
  leaseTtlMs?: number;
  /** Socket.IO options when jobcast creates the server. */
  socket?: Partial<IoServerOptions>;
  /**
   * Attach the Socket.IO Redis adapter when jobcast creates the server: statuses, revocations
   * and debug views reach the other nodes through it. It uses Redis 7 sharded pub/sub (a node
   * hears only the rooms it has members in), so start-up refuses an older Redis; set `false` for
   * a single node there. @default true
   */
  redisAdapter?: boolean;
  /** This node's name in logs, health and debug output. @default a random id */
  nodeId?: string;
  logger?: Logger;
}

const KnobsSchema = z.object({
  queues: z.array(z.string().min(1).max(200)).min(1, 'give at least one queue name'),
  bullPrefix: z.string().min(1).default('bull'),
  keyPrefix: z.string().min(1).regex(/^[A-Za-z0-9_.-]+$/).default('jobcast'),
  historySize: z.number().int().min(0).max(100_000).default(500),
  historyTtlMs: z.number().int().min(1_000).default(86_400_000),
  snapshotJobs: z.number().int().min(1).max(10_000).default(200),
  routeTtlMs: z.number().int().min(1_000).default(604_800_000),
  eventsMaxLen: z.number().int().min(100).default(10_000),
  readBatchSize: z.number().int().min(1).max(10_000).default(200),
  redisAdapter: z.boolean().default(true),
  revokeTtlMs: z.number().int().min(1_000).default(900_000),
  maxConnectionsPerUser: z.number().int().min(1).optional(),
  exposeWorkerIdentity: z.boolean().default(false),
  httpLimits: z
    .object({
      snapshotRate: z.number().positive(),
      snapshotBurst: z.number().int().min(1),
      snapshotAddressRate: z.number().positive(),
      snapshotAddressBurst: z.number().int().min(1),
    })
    .partial()
    .default({}),
  limits: z
    .object({
      maxSubscriptions: z.number().int().min(1),
      subscribeRate: z.number().positive(),
      subscribeBurst: z.number().int().min(1),
      messageRate: z.number().positive(),
      messageBurst: z.number().int().min(1),
      maxMessageBytes: z.number().int().min(256),
      maxConsecutiveBreaches: z.number().int().min(1),
    })
    .partial()
    .default({}),
  maxBufferedPackets: z.number().int().min(10).default(1_000),
  dataLossCheckMs: z.number().int().min(100).default(5_000),
  leaseTtlMs: z.number().int().min(300).default(5_000),
  nodeId: z.string().min(1).max(100).default(() => `node-${randomUUID().slice(0, 8)}`),
});

export type ResolvedKnobs = Readonly<z.infer<typeof KnobsSchema>>;

/** Validates the options once at start-up and freezes them; a mistake throws here with every problem listed. */
export function resolveServerOptions<User>(options: JobcastServerOptions<User>): ResolvedKnobs {
  if (!options || typeof options !== 'object') throw new TypeError('createJobcastServer needs an options object');
  if (!options.httpServer && !options.io) throw new TypeError('createJobcastServer needs `httpServer` or `io`');
  if (typeof options.authenticate !== 'function' && !options.tokens) throw new TypeError('`authenticate` must be a function (or give `tokens`)');
  if (options.authenticate !== undefined && options.tokens !== undefined) {
    // With both, one of them would silently not run: refuse rather than guess which decides who connects.
    throw new TypeError(
      'Give `authenticate` or `tokens`, not both. To accept jobcast tokens next to your own, call `tokens.verify(token)` inside `authenticate` (its claims keep their room scope).',
    );
  }
  if (!options.channels || typeof options.channels !== 'object') throw new TypeError('`channels` must map patterns to functions');
  if (options.redis === undefined) throw new TypeError('`redis` is required (URL, options or ioredis client)');
  const parsed = KnobsSchema.safeParse(options);
  if (!parsed.success) throw new TypeError(`Invalid jobcast options:\n${z.prettifyError(parsed.error)}`);
  for (const queue of Object.keys(options.project ?? {})) {
    if (!parsed.data.queues.includes(queue)) throw new TypeError(`project.${queue} names a queue that is not in \`queues\``);
  }
  return Object.freeze(parsed.data);
}

/** A no-op logger, used when none is given. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
