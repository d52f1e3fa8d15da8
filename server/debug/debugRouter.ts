import type { Redis } from 'ioredis';
import type { Queue } from 'bullmq';
import type { Router } from 'express';
import type { JobDebugDetail, Rejection, RoomDebugReport, ServerDebugReport, StatusEvent } from '../../shared/index.js';
import { authenticateContext, bearerToken } from '../auth.js';
import { JobcastError } from '../errors.js';
import { INTER_SERVER_EVENTS, type JobcastIo } from '../jobcastIo.js';
import type { Authenticate, Logger } from '../options.js';
import type { RoomAccess } from '../roomAccess.js';
import { roomOfSocketRoom } from '../socketHandlers.js';
import type { RoomStore } from '../store/roomStore.js';
import { type DebugStats, type NodeDebugSnapshot, mergeRoomStats } from './debugStats.js';
import { findNearMisses } from './nearMiss.js';
import { sendError } from '../httpErrors.js';

export interface DebugDeps<User> {
  io: JobcastIo<User>;
  /** Reads a removed job's last failure from its queue's events stream. */
  redis: Redis;
  /** The queues this server reports, to read a job's record for debug users. */
  queues: ReadonlyMap<string, Queue>;
  nodeId: string;
  stats: DebugStats;
  access: RoomAccess<User>;
  store: RoomStore;
  authenticate: Authenticate<User>;
  /** Who may see debug views. @default nobody */
  canDebug: (user: User) => boolean | Promise<boolean>;
  logger: Logger;
}

/**
 * The server half of the debug panel: what each room was sent and how many sockets heard it,
 * recent rejections with the rule that refused them, unheard broadcasts, near-miss room
 * names, and job events that named no room. Every node answers for its own sockets; the node
 * that gets the request asks the others over the Socket.IO adapter and sums the answers.
 */
export function mountDebugRoutes<User>(router: Router, deps: DebugDeps<User>): void {
  const local = (room?: string): NodeDebugSnapshot => {
    const subscribed: Record<string, number> = {};
    for (const [name, sockets] of deps.io.of('/').adapter.rooms) {
      const jobcastRoom = roomOfSocketRoom(name);
      if (jobcastRoom) subscribed[jobcastRoom] = sockets.size;
    }
    return deps.stats.snapshot(deps.nodeId, subscribed, deps.access.recentRejections(), room);
  };
  deps.io.on(INTER_SERVER_EVENTS.debug, (room, reply) => {
    // Checked anyway: the asking node may run another version.
    if (typeof reply === 'function') reply(local(typeof room === 'string' ? room : undefined));
  });
  const collect = async (room?: string): Promise<NodeDebugSnapshot[]> => {
    const mine = local(room);
    const servers = await deps.io.of('/').adapter.serverCount().catch(() => 1);
    if (servers <= 1) return [mine];
    const others = await new Promise<NodeDebugSnapshot[]>((resolve) => {
      const timer = setTimeout(() => resolve([]), 3_000);
      deps.io.serverSideEmit(INTER_SERVER_EVENTS.debug, room ?? null, (error, responses) => {
        clearTimeout(timer);
        if (error) deps.logger.warn({ err: error }, 'some nodes did not answer the debug request');
        resolve(Array.isArray(responses) ? responses : []);
      });
    });
    return [mine, ...others];
  };

  const authorizeDebug = async (headers: Record<string, string | string[] | undefined>, address: string | undefined) => {
    const user = await authenticateContext(deps.authenticate, {
      token: bearerToken(headers),
      headers,
      address,
      origin: typeof headers.origin === 'string' ? headers.origin : undefined,
    });
    if (!(await deps.canDebug(user))) throw new JobcastError('FORBIDDEN', 'Debug views need debug access (`canDebug`).');
  };

  router.get('/debug', async (request, response) => {
    try {
      await authorizeDebug(request.headers, request.socket.remoteAddress);
      const snapshots = await collect();
      const rooms = mergeRoomStats(snapshots).sort((a, b) => (b.lastBroadcastAt ?? 0) - (a.lastBroadcastAt ?? 0));
      const unheard = rooms.filter((room) => room.subscribers === 0 && room.unheard > 0);
      const rejections = mergeRejections(snapshots);
      const report: ServerDebugReport = {
        nodes: snapshots.map((snapshot) => snapshot.nodeId),
        rooms: rooms.slice(0, 200),
        rejections,
        unheard: unheard.slice(0, 200),
        nearMisses: findNearMisses(
          unheard.map((room) => room.room),
          [...rooms.filter((room) => room.subscribers > 0).map((room) => room.room), ...rejections.map((rejection) => rejection.room)],
        ),
        unrouted: snapshots.flatMap((snapshot) => snapshot.unrouted).sort((a, b) => b.at - a.at).slice(0, 100),
      };
      response.json(report);
    } catch (error) {
      sendError(response, error, deps.logger);
    }
  });

  router.get('/debug/rooms/:room', async (request, response) => {
    try {
      await authorizeDebug(request.headers, request.socket.remoteAddress);
      const room = String(request.params.room);
      const jobId = typeof request.query.job === 'string' && request.query.job !== '' ? request.query.job : undefined;
      const queueName = typeof request.query.queue === 'string' && request.query.queue !== '' ? request.query.queue : undefined;
      const [snapshots, everything, cursor, latest, history] = await Promise.all([
        collect(room),
        collect(),
        deps.store.cursorOf(room),
        deps.store.recentEvents(room, 20),
        // One job's events from the whole history, so an older job is not judged on the last 20 of its room.
        jobId === undefined ? Promise.resolve([]) : deps.store.recentEvents(room, Number.MAX_SAFE_INTEGER),
      ]);
      const ofJob = history.filter((event) => event.status.jobId === jobId && (queueName === undefined || event.status.queue === queueName));
      const recent = mergeBySeq(latest, ofJob);
      const job = jobId === undefined ? undefined : await describeJob(deps.redis, deps.queues, queueName ?? ofJob.at(-1)?.status.queue, jobId);
      const stats = mergeRoomStats(snapshots)[0] ?? { room, broadcasts: 0, delivered: 0, unheard: 0, subscribers: 0 };
      const all = mergeRoomStats(everything);
      const listened = [...all.filter((entry) => entry.subscribers > 0).map((entry) => entry.room), ...mergeRejections(everything).map((r) => r.room)];
      const unheard = all.filter((entry) => entry.subscribers === 0 && entry.unheard > 0).map((entry) => entry.room);
      const report: RoomDebugReport = {
        room,
        nodes: snapshots.map((snapshot) => snapshot.nodeId),
        epoch: cursor.epoch ?? '',
        seq: cursor.seq,
        stats,
        recent,
        rejections: mergeRejections(snapshots),
        nearMisses: findNearMisses(unheard, listened).filter((miss) => miss.eventsRoom === room || miss.subscribedRoom === room),
        ...(job ? { job } : {}),
      };
      response.json(report);
    } catch (error) {
      sendError(response, error, deps.logger);
    }
  });
}

function mergeRejections(snapshots: NodeDebugSnapshot[]): Rejection[] {
  return snapshots
    .flatMap((snapshot) => snapshot.rejections)
    .sort((a, b) => b.at - a.at)
    .slice(0, 200);
}

function mergeBySeq(a: StatusEvent[], b: StatusEvent[]): StatusEvent[] {
  const bySeq = new Map<number, StatusEvent>();
  for (const event of [...a, ...b]) bySeq.set(event.seq, event);
  return [...bySeq.values()].sort((x, y) => x.seq - y.seq);
}

/** BullMQ's record of one job, failure text and last stack included (debug users only). */
async function describeJob(redis: Redis, queues: ReadonlyMap<string, Queue>, queueName: string | undefined, jobId: string): Promise<JobDebugDetail | undefined> {
  const queue = queueName === undefined ? undefined : queues.get(queueName);
  if (!queue) return undefined;
  const job = await queue.getJob(jobId);
  if (!job) {
    // Removed (removeOnFail, clean): its last `failed` event, if the stream still holds it, has the text.
    const failedReason = await lastFailedReason(redis, queue, jobId);
    return failedReason === undefined ? { queue: queue.name, jobId, state: 'unknown' } : { queue: queue.name, jobId, state: 'unknown', failedReason: failedReason.slice(0, 4_000) };
  }
  const detail: JobDebugDetail = { queue: queue.name, jobId, state: await job.getState(), attemptsMade: job.attemptsMade };
  if (job.failedReason) detail.failedReason = job.failedReason.slice(0, 4_000);
  const stack = job.stacktrace?.at(-1);
  if (stack) detail.stacktrace = stack.slice(0, 8_000);
  return detail;
}

/** Events looked through, newest first, for a removed job's failure. */
const FAILURE_SEARCH_EVENTS = 5_000;

async function lastFailedReason(redis: Redis, queue: Queue, jobId: string): Promise<string | undefined> {
  const entries = (await redis.xrevrange(queue.keys.events!, '+', '-', 'COUNT', FAILURE_SEARCH_EVENTS)) as Array<[string, string[]]>;
  for (const [, flat] of entries) {
    const fields = new Map<string, string>();
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i]!, flat[i + 1]!);
    if (fields.get('event') === 'failed' && fields.get('jobId') === jobId) return fields.get('failedReason');
  }
  return undefined;
}
