import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Server } from 'socket.io';
import type { Router } from 'express';
import { EVENTS, MAX_CLIENT_MESSAGE_BYTES, type JobStatus, type StatusEvent } from '../shared/index.js';
import { createEnqueue, type Enqueue, type RouteJob, type RouteScheduler } from './enqueue.js';
import { createHttpRouter } from './httpRouter.js';
import { jsonErrors } from './httpErrors.js';
import { Ingestor } from './ingest/ingestor.js';
import { QueueIngest, type ReaderHealth } from './ingest/queueIngest.js';
import { QueueLease } from './ingest/queueLease.js';
import { Reconciler } from './ingest/reconciler.js';
import { WorkerWatch } from './ingest/workerWatch.js';
import { RouteBook } from './ingest/routing.js';
import { type JobcastServerOptions, type ResolvedKnobs, resolveServerOptions, silentLogger } from './options.js';
import type { JobcastIo } from './jobcastIo.js';
import { createOriginPolicy } from './origins.js';
import { assertClusterPrefix, isClusterClient, openRedis, reachRedis, refuseSingleNodeOfCluster } from './redisConnection.js';
import clusterKeySlot from 'cluster-key-slot';
import { RoomAccess } from './roomAccess.js';
import { MAX_REPLAY_RANGE, roomOfSocketRoom } from './socketHandlers.js';
import { watchDataLoss } from './dataLossWatch.js';
import { resolveAuthenticate, setupSockets } from './socketSetup.js';
import { guardSlowConsumers } from './slowConsumers.js';
import { DEFAULT_HTTP_LIMITS } from './limits.js';
import { createHttpRateLimit } from './security/httpRateLimit.js';
import { createWorkerIdentityPolicy } from './security/workerIdentity.js';
import { assertShardedPubSub, createJobcastAdapter } from './shardedAdapter.js';
import { createStatusFanout } from './statusFanout.js';
import { DebugStats } from './debug/debugStats.js';
import { JobcastMetrics } from './metrics.js';
import { mountDebugRoutes } from './debug/debugRouter.js';
import { createKeys } from './store/keys.js';
import { RoomStore } from './store/roomStore.js';

export interface JobcastServer<User = unknown> {
  /** The Socket.IO server, typed with the protocol's event maps; `socket.data.user` is the authenticated user. */
  io: JobcastIo<User>;
  /** Mount it where you like: `app.use('/jobcast', server.router)`. */
  router: Router;
  nodeId: string;
  /** Enqueue a job that reports to rooms, with jobcast's safe defaults. */
  enqueue: Enqueue;
  /** Record the rooms of the next job added with this id, before a plain `queue.add(name, data, { jobId })`. */
  routeJob: RouteJob;
  /** Record the rooms of every job a BullMQ job scheduler adds. */
  routeScheduler: RouteScheduler;
  /** Health of Redis and of each queue's reader. */
  health: () => Promise<{ ok: boolean; nodeId: string; redis: 'up' | 'down'; queues: Array<ReaderHealth & { workers: number | null }> }>;
  /**
   * Removes a user's sockets from a room (or every room) on every node, with a `room:revoked`
   * message, and refuses their subscribes to it for `revokeTtlMs`.
   */
  revoke: (userKey: string, room?: string) => Promise<void>;
  /** Asks the ingesting node to re-read every unfinished job from BullMQ and push any state the rooms missed. */
  reconcileAll: () => Promise<void>;
  /** Stops reading, closes sockets it created and its Redis connections. Safe to call twice. */
  close: () => Promise<void>;
}

/** How often one job's state may be re-checked against BullMQ because a subscriber saw it still running. */
const STALE_CHECK_INTERVAL_MS = 5_000;

/** How long the rooms a subscriber saw a job in unfinished are kept for its check (it runs within a read loop's turn). */
const SIGHTING_TTL_MS = 60_000;

/** How often the ingesting node checks that unfinished jobs still exist (drain, obliterate and clean write no per-job event). */
const SWEEP_INTERVAL_MS = 2_000;

/**
 * QUIT, so commands still queued are answered rather than rejected unheard (the Socket.IO
 * adapter does not catch its SUBSCRIBE replies). A connection still coming up gets a second to
 * do so; one that does not (Redis unreachable) is dropped, as QUIT would wait for it forever.
 */
async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  const up =
    client.status === 'ready' ||
    (await new Promise<boolean>((resolve) => {
      const done = (ready: boolean) => {
        clearTimeout(timer);
        client.off('ready', onReady).off('end', onEnd);
        resolve(ready);
      };
      const onReady = () => done(true);
      const onEnd = () => done(false);
      const timer = setTimeout(onEnd, 1_000);
      client.once('ready', onReady).once('end', onEnd);
    }));
  // After a QUIT the server closes the connection itself; dropping it at once would reject the replies still on their way.
  if (!up || !(await client.quit().then(() => true, () => false))) client.disconnect();
}

/**
 * Creates the push server: reads each queue's BullMQ events, pushes public job status to
 * authorized rooms, and serves snapshots and health over HTTP. Resolves once every queue's
 * reader knows its start position, so no event after that moment is missed.
 */
export async function createJobcastServer<User, Patterns extends string = string>(options: JobcastServerOptions<User, Patterns>): Promise<JobcastServer<User>> {
  const knobs = resolveServerOptions(options);
  // Everything else that can refuse the options (channel patterns) runs before anything is opened.
  const access = new RoomAccess(options.channels, options.logger ?? silentLogger, options.scopeOf);
  // What was opened, in order; closed newest first by close(), or by a start-up that fails halfway.
  const opened: Array<() => unknown> = [];
  const closeOpened = async () => {
    for (const close of opened.splice(0).reverse()) {
      await Promise.resolve()
        .then(close)
        .catch(() => undefined);
    }
  };
  try {
    return await startJobcastServer(options, knobs, access, opened, closeOpened);
  } catch (error) {
    await closeOpened();
    throw error;
  }
}

async function startJobcastServer<User>(
  options: JobcastServerOptions<User>,
  knobs: ResolvedKnobs,
  access: RoomAccess<User>,
  opened: Array<() => unknown>,
  closeOpened: () => Promise<void>,
): Promise<JobcastServer<User>> {
  const logger = options.logger ?? silentLogger;
  const keys = createKeys(knobs.keyPrefix, knobs.bullPrefix);
  assertClusterPrefix(options.redis, knobs.bullPrefix, knobs.queues, 'the server');
  const redis = openRedis(options.redis, 'commands', false, logger);
  opened.push(() => closeRedis(redis));
  // Fail start-up now, naming the address, rather than later with an anonymous retry error.
  await reachRedis(redis, options.redis);
  await refuseSingleNodeOfCluster(redis, 'the server');
  const store = new RoomStore(redis, keys, {
    // On a cluster, rooms in different hash slots are appended in separate script calls.
    ...(isClusterClient(redis) ? { slotOf: clusterKeySlot } : {}),
    historySize: knobs.historySize,
    historyTtlMs: knobs.historyTtlMs,
    snapshotJobs: knobs.snapshotJobs,
    recordTtlMs: knobs.routeTtlMs,
    maxReplay: MAX_REPLAY_RANGE,
  });
  const routes = new RouteBook(redis, keys, { ttlMs: knobs.routeTtlMs, streamKey: (queue) => `${knobs.bullPrefix}:${queue}:events` });

  const ownsIo = !options.io;
  // Checked before anything else is opened for it: the adapter needs Redis 7 (sharded pub/sub).
  if (ownsIo && knobs.redisAdapter) await assertShardedPubSub(redis);
  const adapterConnections =
    ownsIo && knobs.redisAdapter
      ? [openRedis(options.redis, 'adapter-pub', false, logger), openRedis(options.redis, 'adapter-sub', false, logger, { shardedSubscribers: true })]
      : [];
  opened.push(() => Promise.all(adapterConnections.map(closeRedis)));
  const io: JobcastIo<User> =
    options.io ??
    new Server(options.httpServer, {
      maxHttpBufferSize: MAX_CLIENT_MESSAGE_BYTES,
      ...options.socket,
    });
  // Closed before the adapter's connections (pushed after them), as io.close() closes the adapter.
  if (ownsIo) opened.push(() => new Promise<void>((resolve) => io.close(() => resolve())));
  // The adapter's channels carry our key prefix, so two deployments sharing a Redis never hear each other.
  if (adapterConnections.length === 2) {
    const onSubscriptionFailed = (error: unknown, channels: number) =>
      logger.warn({ err: error, channels }, "Redis refused rooms' channel subscriptions; each a room still needs is sent again, and until it holds the room may miss other nodes' statuses (its subscribers' heartbeats find the gap)");
    io.adapter(createJobcastAdapter(adapterConnections[0]!, adapterConnections[1]!, `${knobs.keyPrefix}:socket.io`, onSubscriptionFailed));
  }

  // BullMQ defines its 60-odd scripts on the connection its Queues are given, and ioredis copies
  // every script defined on a connection into each MULTI built on it: on their own connection,
  // the ingest's reads (one MULTI per batch) cost a sixth of the CPU and far less garbage.
  const bullRedis = openRedis(options.redis, 'queues', false, logger);
  opened.push(() => closeRedis(bullRedis));
  const queues = knobs.queues.map((name) => {
    // Every Queue rewrites the events stream's max length when it starts: always pass ours.
    const queue = new Queue(name, { connection: bullRedis, prefix: knobs.bullPrefix, streams: { events: { maxLen: knobs.eventsMaxLen } } });
    queue.on('error', (error) => logger.warn({ err: error, queue: name }, 'queue connection error'));
    opened.push(() => queue.close());
    return queue;
  });
  const debugStats = new DebugStats();
  const metrics = new JobcastMetrics(queues, () => io.of('/').sockets.size);
  const canDebug = options.canDebug ?? ((user: User) => (user as { debug?: unknown } | null)?.debug === true);
  const workerIdentity = knobs.exposeWorkerIdentity ? undefined : createWorkerIdentityPolicy({ canDebug, expectedWorkerVersion: options.expectedWorkerVersion, logger });
  // One node ingests each queue (the lease holder) and broadcasts each status to its room: the
  // adapter hands it to this node's sockets and to the nodes that have members in the room,
  // so every subscriber gets each event once; each node counts the deliveries it makes.
  const broadcast = createStatusFanout({ io, filter: workerIdentity?.filter, stats: debugStats, metrics, socketsAllLocal: ownsIo && adapterConnections.length === 0 && options.socket?.adapter === undefined });

  const pipelines = queues.map((queue) => {
    const workerWatch = new WorkerWatch(redis, queue, knobs.bullPrefix);
    const readWorkers = () => workerWatch.read();
    const ingestor = new Ingestor({
      queue,
      readWorkers,
      // The reconciler reads the workers every SWEEP_INTERVAL_MS; a status being built reads them itself only when that read is late.
      workerViewMaxAgeMs: 2 * SWEEP_INTERVAL_MS,
      redis,
      keys,
      store,
      projection: options.project?.[queue.name],
      broadcast,
      logger,
      batchSize: knobs.readBatchSize,
      onUnrouted: (name, jobId, event) => {
        debugStats.recordUnrouted(name, jobId, event);
        logger.warn({ queue: name, jobId, event }, 'job has no recorded rooms (add it with enqueue, or call routeJob before queue.add): not pushed');
      },
      expectedWorkerVersion: options.expectedWorkerVersion,
      onIngested: (name, lifecycle, status, lagMs) => metrics.ingested(name, lifecycle, status, lagMs),
      onBatchTimed: (name, phases) => metrics.ingestBatch(name, phases),
      canary: process.env.JOBCAST_CANARY,
    });
    const reconciler = new Reconciler({ queue, redis, keys, ingestor, sweepIntervalMs: SWEEP_INTERVAL_MS, readWorkers, logger });
    const blocking = openRedis(options.redis, `events:${queue.name}`, true, logger);
    opened.push(() => blocking.disconnect()); // the reader's close() does it too; this covers a start that fails first
    const reader = new QueueIngest({
      queue: queue.name,
      nodeId: knobs.nodeId,
      streamKey: queue.keys.events!,
      cursorKey: keys.queueCursor(queue.name),
      blocking,
      redis,
      lease: new QueueLease(redis, keys.queueLease(queue.name), keys.queueFence(queue.name), knobs.leaseTtlMs),
      leaseTtlMs: knobs.leaseTtlMs,
      ingestor,
      reconciler,
      batchSize: knobs.readBatchSize,
      blockMs: 1_000,
      logger,
    });
    opened.push(() => reader.close());
    return { queue, reader, reconciler };
  });
  const readers = pipelines.map((pipeline) => pipeline.reader);
  // Any node may ask; the ingesting node of the queue does the reading, in its read loop.
  const requestChecks = async (queue: string, jobIds: string[]) => {
    if (jobIds.length > 0) await redis.sadd(keys.queueChecks(queue), ...jobIds);
  };
  const reconcileEverything = async () => {
    for (const queue of knobs.queues) await requestChecks(queue, await store.openJobs(queue));
  };

  const lastStaleCheck = new Map<string, number>();
  const reconcileStale = (events: StatusEvent[]) => {
    const now = Date.now();
    for (const { status, room } of events) {
      const key = `${status.queue}\n${status.jobId}\n${room}`;
      if ((lastStaleCheck.get(key) ?? 0) > now - STALE_CHECK_INTERVAL_MS) continue;
      lastStaleCheck.set(key, now);
      if (lastStaleCheck.size > 10_000) lastStaleCheck.delete(lastStaleCheck.keys().next().value as string);
      if (knobs.queues.includes(status.queue)) requestCheck(status, room).catch((error) => logger.warn({ err: error, jobId: status.jobId }, 'stale check failed'));
    }
  };
  // The room it was seen in goes with the check: should Redis have lost the job's record (and the
  // rooms it names) while the room kept or got the status, the check still knows where to show it lost.
  const requestCheck = async (status: JobStatus, room: string) => {
    const sightings = keys.queueSightings(status.queue, status.jobId);
    await redis.multi().hset(sightings, room, status.incarnation).pexpire(sightings, SIGHTING_TTL_MS).sadd(keys.queueChecks(status.queue), status.jobId).exec();
  };

  const authenticate = resolveAuthenticate(options);
  const origins = options.allowedOrigins ? createOriginPolicy(options.allowedOrigins) : undefined;
  const sessions = setupSockets({ io, options, knobs, authenticate, access, store, redis, keys, metrics, logger, reconcileStale, origins, workerIdentity });

  // Redis lost its data: every room starts a new epoch, so tell each subscribed socket to resync.
  const dataLoss = watchDataLoss({
    redis,
    key: keys.instanceMarker(),
    intervalMs: knobs.dataLossCheckMs,
    logger,
    onLost: () => {
      for (const name of io.of('/').adapter.rooms.keys()) {
        const room = roomOfSocketRoom(name);
        if (room) io.local.to(name).emit(EVENTS.resync, { room, reason: 'redis-data-lost' });
      }
      void reconcileEverything();
    },
  });
  opened.push(() => dataLoss.close());
  const slowConsumers = guardSlowConsumers({
    io,
    maxBufferedPackets: knobs.maxBufferedPackets,
    intervalMs: 250,
    logger,
    onDisconnect: () => metrics.slowConsumer(),
  });
  opened.push(() => slowConsumers.close());
  io.on('connection', () => metrics.connected());

  const { enqueue, routeJob, routeScheduler, close: closeEnqueue } = createEnqueue({ redis, queueRedis: bullRedis, keys, routes, eventsMaxLen: knobs.eventsMaxLen, bullPrefix: knobs.bullPrefix });
  opened.push(closeEnqueue);

  const health: JobcastServer<User>['health'] = async () => {
    const up = await redis.ping().then(
      () => true,
      () => false,
    );
    const queueHealth = await Promise.all(
      readers.map(async (reader, index) => ({
        ...reader.health,
        workers: up ? await queues[index]!.getWorkersCount().catch(() => null) : null,
      })),
    );
    return { ok: up && queueHealth.every((queue) => queue.running), nodeId: knobs.nodeId, redis: up ? 'up' : 'down', queues: queueHealth };
  };

  // A reader that cannot start makes createJobcastServer close everything opened so far.
  await Promise.all(readers.map((reader) => reader.start()));
  logger.info({ nodeId: knobs.nodeId, queues: knobs.queues }, 'jobcast server started');

  let closing: Promise<void> | undefined;
  // Started: stop what produces work first (watches, readers, sockets), then what it used.
  const close = () =>
    (closing ??= (async () => {
      dataLoss.close();
      slowConsumers.close();
      await Promise.all(readers.map((reader) => reader.close()));
      if (ownsIo) await new Promise<void>((resolve) => io.close(() => resolve()));
      await closeEnqueue();
      await Promise.all(queues.map((queue) => queue.close()));
      opened.splice(0); // all of it is closed below or above; a start that fails halfway uses closeOpened
      await Promise.all([redis, bullRedis, ...adapterConnections].map(closeRedis));
    })());

  const rateLimit = createHttpRateLimit({ ...DEFAULT_HTTP_LIMITS, ...knobs.httpLimits }, logger, () => metrics.breach('RATE_LIMITED'));
  const router = createHttpRouter({ authenticate, access, store, health, logger, metrics: metrics.registry, sessions, origins, rateLimit, workerIdentity });
  mountDebugRoutes(router, {
    io,
    redis,
    queues: new Map(queues.map((queue) => [queue.name, queue])),
    nodeId: knobs.nodeId,
    stats: debugStats,
    access,
    store,
    authenticate,
    canDebug,
    logger,
  });
  router.use(jsonErrors(logger));
  return {
    io,
    router,
    nodeId: knobs.nodeId,
    enqueue,
    routeJob,
    routeScheduler,
    health,
    reconcileAll: reconcileEverything,
    revoke: (userKey, room) => sessions.revoke(userKey, room),
    close,
  };
}
