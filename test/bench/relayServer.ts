/**
 * One relay node for the benchmark, in its own process so its memory and CPU can be measured:
 * - MODE=jobcast: createJobcastServer with authorization, cursor, history, snapshot;
 * - MODE=raw: the twenty-line relay: QueueEvents `completed` → Job.fromId → io.to(room).emit,
 *   no auth, no cursor;
 * - MODE=events: the same relay forwarding every lifecycle event a job produces (added,
 *   waiting, active, progress, completed…), with no guarantee: no order, no cursor, no replay.
 * Env: REDIS_URL, QUEUE, KEY_PREFIX, NODE_ID, ADAPTER=1 for the Socket.IO Redis adapter.
 * Prints `ready <port>`; answers the IPC message 'rss' with its resident set size and JS heap in use (after a GC)
 * and 'stats' with RSS, CPU time, event-loop delay and GC pauses since the last 'stats' (no
 * forced GC), and for jobcast its ingest's busy time per phase and its broadcasts so far (from
 * its own `/jobcast/metrics`).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';
import { createAdapter } from '@socket.io/redis-adapter';
import { Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import express from 'express';
import { Server } from 'socket.io';
import { z } from 'zod';
import { createJobcastServer } from '../../server/index.js';

const { MODE = 'jobcast', REDIS_URL = '', QUEUE = 'bench', KEY_PREFIX = 'bench', NODE_ID = 'node', ADAPTER } = process.env;
const httpServer = createServer();

/** The lifecycle events of one job that the `events` relay forwards. */
const JOB_EVENTS = ['added', 'waiting', 'active', 'progress', 'delayed', 'completed', 'failed', 'stalled', 'removed', 'retries-exhausted'] as const;

/** jobcast's Prometheus text, read by 'stats'. */
let readMetrics: (() => Promise<string>) | undefined;

if (MODE === 'jobcast') {
  const server = await createJobcastServer<{ id: string }>({
    httpServer,
    redis: REDIS_URL,
    queues: [QUEUE],
    keyPrefix: KEY_PREFIX,
    nodeId: NODE_ID,
    redisAdapter: ADAPTER === '1',
    authenticate: ({ token }) => (token ? { id: token } : null),
    channels: { 'bench:{id}': () => true },
    // The public result, as an app would publish a summary: the bench reads `n` to match events,
    // and `doneAt` (set by a real worker's processor) to time them.
    project: { [QUEUE]: { schema: z.object({ n: z.number(), doneAt: z.number().optional() }), select: ({ returnvalue }) => returnvalue } },
    // The latency phases push thousands of events a second to one connection per room.
    limits: { messageRate: 10_000, messageBurst: 10_000, subscribeRate: 10_000, subscribeBurst: 10_000 },
    maxBufferedPackets: 100_000,
    // Room for the 1,000 events the replay phase misses on purpose.
    historySize: 2_000,
  });
  const app = express();
  app.use('/jobcast', server.router);
  // Socket.IO answers its own path; the rest is the router's.
  httpServer.on('request', (request, response) => {
    if (request.url?.startsWith('/jobcast/')) app(request, response);
  });
  readMetrics = async () => (await fetch(`http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/jobcast/metrics`)).text();
} else {
  const io = new Server(httpServer);
  if (ADAPTER === '1') {
    const pub = new Redis(REDIS_URL);
    io.adapter(createAdapter(pub, pub.duplicate(), { key: `${KEY_PREFIX}:raw` }));
  }
  io.on('connection', (socket) => socket.on('join', (room: string) => void socket.join(room)));
  const queue = new Queue(QUEUE, { connection: { url: REDIS_URL } });
  const events = new QueueEvents(QUEUE, { connection: { url: REDIS_URL } });
  await events.waitUntilReady();
  const roomOf = async (jobId: string) => {
    const job = await Job.fromId(queue, jobId);
    return (job?.data as { rooms?: string[] } | undefined)?.rooms?.[0];
  };
  if (MODE === 'raw') {
    events.on('completed', async ({ jobId, returnvalue }) => {
      const room = await roomOf(jobId);
      if (room) io.to(room).emit('status', { jobId, state: 'completed', returnvalue });
    });
  } else {
    // One job read per job (its first event), kept until it finishes; events are emitted as their read resolves.
    const rooms = new Map<string, Promise<string | undefined>>();
    for (const state of JOB_EVENTS) {
      events.on(state, async (args: { jobId: string; returnvalue?: unknown }) => {
        let room = rooms.get(args.jobId);
        if (!room) rooms.set(args.jobId, (room = roomOf(args.jobId)));
        const name = await room;
        if (state === 'completed' || state === 'failed' || state === 'removed') rooms.delete(args.jobId);
        if (name) io.to(name).emit('status', { jobId: args.jobId, state, returnvalue: args.returnvalue });
      });
    }
  }
}

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
let cpuSince = process.cpuUsage();
const gc = { count: 0, totalMs: 0, maxMs: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count++;
    gc.totalMs += entry.duration;
    gc.maxMs = Math.max(gc.maxMs, entry.duration);
  }
}).observe({ entryTypes: ['gc'] });

httpServer.listen(0, '127.0.0.1', () => console.log(`ready ${(httpServer.address() as AddressInfo).port}`));
process.on('message', (message) => {
  if (message === 'rss') {
    globalThis.gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    process.send?.({ rss, heapUsed });
  } else if (message === 'stats') {
    void sendStats();
  }
});

/** The samples of jobcast's ingest busy time per phase (seconds) and of its broadcasts, cumulative. */
async function ingestCounters(): Promise<Record<string, number> | undefined> {
  if (!readMetrics) return undefined;
  const counters: Record<string, number> = {};
  for (const line of (await readMetrics()).split('\n')) {
    const phase = /^jobcast_ingest_busy_seconds_total\{.*phase="(\w+)".*\} (\S+)$/.exec(line);
    if (phase) counters[phase[1]!] = (counters[phase[1]!] ?? 0) + Number(phase[2]);
    const broadcasts = /^jobcast_broadcasts_total (\S+)$/.exec(line);
    if (broadcasts) counters.broadcasts = Number(broadcasts[1]);
  }
  return counters;
}

async function sendStats(): Promise<void> {
  const cpu = process.cpuUsage(cpuSince);
  // Reading the metrics is the bench's work, not the node's: left out of both windows' CPU.
  const ingest = await ingestCounters();
  cpuSince = process.cpuUsage();
  const ms = (ns: number) => ns / 1e6;
  process.send?.({
    rss: process.memoryUsage().rss,
    cpuMs: (cpu.user + cpu.system) / 1_000,
    loopDelay: { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) },
    gc: { ...gc },
    ingest,
  });
  loopDelay.reset();
  Object.assign(gc, { count: 0, totalMs: 0, maxMs: 0 });
}
process.on('SIGTERM', () => process.exit(0));
