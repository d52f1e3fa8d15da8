/**
 * The real-worker phases: jobs added the way each side's users add them, finished by a real
 * BullMQ worker in its own process, pushed by one relay node to clients in other processes,
 * each client alone in its room. Latency runs from the worker's processor returning to the
 * client's listener.
 */
import type { ChildProcess } from 'node:child_process';
import type { Redis } from 'ioredis';
import { percentile } from './load.js';
import { createProducer, produceJobs } from './produceJobs.js';
import { readRedisCounters, redisWorkPerJob } from './redisStats.js';
import { cpuTicks, idleShare, stolenShare } from './hostSteal.js';
import { ask, spawnBenchChild, startRelay, waitForLine, type Mode, type RelayStats } from './relay.js';

export interface Shape {
  /** e.g. `1000/s × 1000 clients`. */
  label: string;
  rate: number;
  clients: number;
  durationMs: number;
}

export interface WorkerFigures {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  jobs: number;
  lost: number;
  duplicates: number;
  /** The rate the adds completed at (below the target when the producer fell behind). */
  addedPerSecond: number;
  clients: number;
  rssPerClientKb: number;
  /** The JS heap in use per client (after a GC): unlike RSS, not moved by how the allocator keeps freed pages. */
  heapPerClientKb: number;
  rssSubscribedMb: number;
  rssPeakMb: number;
  /** Server CPU time over the measured window and drain, per delivered `completed` status. */
  cpuMicrosPerEvent: number;
  /** Server CPU and event-loop delay with every client subscribed and no job running. */
  idle: { cpuMsPerSecond: number; loopDelayP99: number; loopDelayMax: number };
  /** Event-loop delay and GC pauses of the server under load. */
  load: Pick<RelayStats, 'loopDelay' | 'gc'>;
  redis: ReturnType<typeof redisWorkPerJob>;
  /** jobcast only: the part of the latency after the server built the status (append, emit, transport; ms clock). */
  afterIngest: { p50: number; p99: number };
  /** The share of the cores' time the host took for other machines over the load window (a virtual machine's steal); absent where unknown. */
  stolenShare?: number | undefined;
  /** The share of the machine's cores left idle while the jobs were added (every process counted; not the wait for the last status after); absent where unknown. */
  idleShare?: number | undefined;
  /** p50 latency of the jobs added in each second of the window: a backlog shows as a trend. */
  p50BySecond: number[];
  /** jobcast only: its ingest's time per status broadcast over the window, by phase (µs; jobcast_ingest_busy_seconds_total). */
  ingestPhases?: IngestPhaseMicros | undefined;
  /** The worker's share of the latency: from its processor returning to BullMQ having recorded the completion. */
  workerRecord: { p50: number; p99: number };
}

/** Where the ingest's time went per status broadcast: waiting for records, building, waiting for writes, broadcasting (µs). */
export interface IngestPhaseMicros {
  read: number;
  build: number;
  write: number;
  broadcast: number;
}

/** The ingest's busy time per phase between two 'stats' readings, per status broadcast meanwhile. */
function ingestPhasesBetween(before: RelayStats['ingest'], after: RelayStats['ingest']): IngestPhaseMicros | undefined {
  if (!before || !after) return undefined;
  const statuses = (after.broadcasts ?? 0) - (before.broadcasts ?? 0);
  if (statuses <= 0) return undefined;
  const per = (phase: keyof IngestPhaseMicros) => (((after[phase] ?? 0) - (before[phase] ?? 0)) * 1e6) / statuses;
  return { read: per('read'), build: per('build'), write: per('write'), broadcast: per('broadcast') };
}

/** Clients per child process: one process holds a few thousand sockets without measuring itself. */
const CLIENTS_PER_PROCESS = 2_500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Monotonic microseconds, the clock of V8's CPU profiles (to cut a profile to a window). */
const monotonicMicros = () => Number(process.hrtime.bigint() / 1_000n);

/**
 * Runs one shape against one relay. `nodeArgs` go to the relay's node (e.g. `--cpu-prof`);
 * `windows` receives the monotonic times (µs) of the idle and load windows.
 */
export async function measureWorkerShape(args: {
  mode: Mode;
  shape: Shape;
  redisUrl: string;
  redis: Redis;
  warmUpMs: number;
  nodeArgs?: string[];
  windows?: Record<'idle' | 'load', [number, number]>;
  log: (line: string) => void;
}): Promise<WorkerFigures> {
  const { mode, shape, redisUrl, redis } = args;
  const queue = `bench-w-${mode}-${shape.rate}x${shape.clients}-${Date.now()}`;
  const keyPrefix = `jc-${queue}`;
  const relay = await startRelay({ MODE: mode, REDIS_URL: redisUrl, QUEUE: queue, KEY_PREFIX: keyPrefix }, args.nodeArgs);
  const children: ChildProcess[] = [];
  const producer = createProducer(mode, redisUrl, queue, keyPrefix);
  try {
    await sleep(1_000);
    const { rss: rssBefore, heapUsed: heapBefore } = await relay.memory();
    for (let offset = 0; offset < shape.clients; offset += CLIENTS_PER_PROCESS) {
      const count = Math.min(CLIENTS_PER_PROCESS, shape.clients - offset);
      children.push(spawnBenchChild('./latencyClients.ts', { URL: relay.url, MODE: mode, COUNT: String(count), OFFSET: String(offset) }));
    }
    const subscribed = (await Promise.all(children.map((child) => waitForLine(child, /subscribed (\d+) failed (\d+)/, 300_000)))).reduce((sum, match) => sum + Number(match[1]), 0);
    await sleep(2_000);
    const { rss: rssSubscribed, heapUsed: heapSubscribed } = await relay.memory();

    // Idle: every client subscribed, nothing running; what remains is periodic work.
    await relay.stats();
    const idleFrom = monotonicMicros();
    await sleep(3_000);
    const idleStats = await relay.stats();
    if (args.windows) args.windows.idle = [idleFrom, monotonicMicros()];

    const worker = spawnBenchChild('./workerProcess.ts', { REDIS_URL: redisUrl, QUEUE: queue, CONCURRENCY: '100', WORK_MS: '20' });
    children.push(worker);
    await waitForLine(worker, /ready/, 60_000);
    const roomOf = (n: number) => `bench:${n % shape.clients}`;
    const warmUpJobs = Math.round((shape.rate * args.warmUpMs) / 1_000);
    await produceJobs({ add: producer.add, roomOf, firstN: 0, ratePerSecond: shape.rate, durationMs: args.warmUpMs });
    await sleep(1_000);

    await ask(worker, `measure-from ${warmUpJobs}`);
    const loadStartStats = await relay.stats();
    const loadFrom = monotonicMicros();
    const ticksFrom = cpuTicks();
    const redisBefore = await readRedisCounters(redis);
    const produced = await produceJobs({ add: producer.add, roomOf, firstN: warmUpJobs, ratePerSecond: shape.rate, durationMs: shape.durationMs });
    const jobs = produced.added;
    const ticksAdded = cpuTicks();
    const collect = () => collectLatencies(children.slice(0, -1), warmUpJobs);
    const deadline = Date.now() + 20_000;
    let measured = await collect();
    while (measured.latencies.length < jobs && Date.now() < deadline) {
      await sleep(200);
      measured = await collect();
    }
    const loadStats = await relay.stats();
    const ticksTo = cpuTicks();
    if (args.windows) args.windows.load = [loadFrom, monotonicMicros()];
    const redisAfter = await readRedisCounters(redis);
    const workerReport = await ask<{ recordP50: number; recordP99: number }>(worker, 'report');
    const { latencies } = measured;
    const figures: WorkerFigures = {
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p99: percentile(latencies, 99),
      max: latencies.length ? latencies.reduce((max, value) => Math.max(max, value), 0) : NaN,
      jobs,
      lost: jobs - latencies.length,
      duplicates: measured.duplicates,
      addedPerSecond: produced.achievedPerSecond,
      clients: subscribed,
      rssPerClientKb: (rssSubscribed - rssBefore) / 1_024 / Math.max(1, subscribed),
      heapPerClientKb: (heapSubscribed - heapBefore) / 1_024 / Math.max(1, subscribed),
      rssSubscribedMb: rssSubscribed / 2 ** 20,
      rssPeakMb: loadStats.rss / 2 ** 20,
      cpuMicrosPerEvent: (loadStats.cpuMs * 1_000) / Math.max(1, latencies.length),
      idle: { cpuMsPerSecond: idleStats.cpuMs / 3, loopDelayP99: idleStats.loopDelay.p99, loopDelayMax: idleStats.loopDelay.max },
      load: { loopDelay: loadStats.loopDelay, gc: loadStats.gc },
      redis: redisWorkPerJob(redisBefore, redisAfter, jobs),
      afterIngest: { p50: percentile(measured.afterIngest, 50), p99: percentile(measured.afterIngest, 99) },
      p50BySecond: bySecond(measured.byJob, shape.rate),
      stolenShare: stolenShare(ticksFrom, ticksTo),
      idleShare: idleShare(ticksFrom, ticksAdded),
      workerRecord: { p50: workerReport.recordP50 ?? NaN, p99: workerReport.recordP99 ?? NaN },
      ingestPhases: ingestPhasesBetween(loadStartStats.ingest, loadStats.ingest),
    };
    const f = (value: number | null) => (value ?? NaN).toFixed(2);
    args.log(
      `${mode} ${shape.label}: p50 ${f(figures.p50)} ms, p90 ${f(figures.p90)}, p99 ${f(figures.p99)}, max ${f(figures.max)} ` +
        `(worker's share p50 ${f(figures.workerRecord.p50)}, p99 ${f(figures.workerRecord.p99)}` +
        `${Number.isNaN(figures.afterIngest.p50) ? '' : `; after ingest p50 ${f(figures.afterIngest.p50)}, p99 ${f(figures.afterIngest.p99)}`}), ` +
        `${subscribed} clients, lost ${figures.lost}/${jobs}${missingRanges(measured.byJob, jobs)}, dup ${figures.duplicates}, added ${figures.addedPerSecond.toFixed(0)}/s, ` +
        `${figures.rssPerClientKb.toFixed(1)} KB/client (heap ${figures.heapPerClientKb.toFixed(1)}), ${figures.cpuMicrosPerEvent.toFixed(0)} µs CPU/job, ` +
        `loop delay p99 ${f(figures.load.loopDelay.p99)} max ${f(figures.load.loopDelay.max)} (idle max ${f(figures.idle.loopDelayMax)}), ` +
        `GC ${figures.load.gc.count}× ${f(figures.load.gc.totalMs)} ms (max ${f(figures.load.gc.maxMs)}), Redis ${figures.redis.calls.toFixed(1)} calls/job, ` +
        `${figures.stolenShare === undefined ? '' : `host steal ${(figures.stolenShare * 100).toFixed(0)} %, `}` +
        `${figures.idleShare === undefined ? '' : `cores idle ${(figures.idleShare * 100).toFixed(0)} %, `}` +
        `${figures.ingestPhases ? `ingest µs per status: ${Object.entries(figures.ingestPhases).map(([phase, micros]) => `${phase} ${micros.toFixed(1)}`).join(', ')}, ` : ''}` +
        `p50 by second [${figures.p50BySecond.map((value) => value.toFixed(1)).join(' ')}]` +
        `${Object.keys(measured.events).length > 0 ? `, statuses received (warm-up included) ${JSON.stringify(measured.events)}` : ''}`,
    );
    return figures;
  } finally {
    await producer.close().catch(() => undefined);
    children.forEach((child) => child.kill('SIGTERM'));
    await relay.stop();
  }
}

/** The jobs (numbered from the window's first) no client heard of, as ranges: ` (missing 12-40 97)`. */
function missingRanges(byJob: Array<[number, number]>, jobs: number): string {
  const heard = new Set(byJob.map(([index]) => index));
  const ranges: string[] = [];
  for (let index = 0; index < jobs; index++) {
    if (heard.has(index)) continue;
    let end = index;
    while (end + 1 < jobs && !heard.has(end + 1)) end++;
    ranges.push(end > index ? `${index}-${end}` : `${index}`);
    index = end;
  }
  return ranges.length === 0 ? '' : ` (missing ${ranges.slice(0, 8).join(' ')}${ranges.length > 8 ? ` and ${ranges.length - 8} more ranges` : ''})`;
}

/** p50 per second of the window, jobs being added at `rate` a second from number 0. */
function bySecond(byJob: Array<[number, number]>, rate: number): number[] {
  const seconds: number[][] = [];
  for (const [index, ms] of byJob) (seconds[Math.floor(index / rate)] ??= []).push(ms);
  return Array.from(seconds, (values) => Number(percentile(values ?? [], 50).toFixed(2)));
}

/** Latencies of jobs numbered `firstN` and up, across the client processes. */
export async function collectLatencies(
  clients: ChildProcess[],
  firstN: number,
): Promise<{ latencies: number[]; afterIngest: number[]; byJob: Array<[number, number]>; duplicates: number; events: Record<string, number> }> {
  const reports = await Promise.all(clients.map((child) => ask<{ samples: number[]; duplicates: number; events: Record<string, number> }>(child, 'report')));
  const events: Record<string, number> = {};
  for (const report of reports) for (const [name, count] of Object.entries(report.events)) events[name] = (events[name] ?? 0) + count;
  const latencies: number[] = [];
  const afterIngest: number[] = [];
  const byJob: Array<[number, number]> = [];
  let duplicates = 0;
  for (const report of reports) {
    duplicates += report.duplicates;
    // samples are [n, ms, sinceIngest, n, ms, sinceIngest, …]
    for (let index = 0; index < report.samples.length; index += 3) {
      if (report.samples[index]! < firstN) continue;
      latencies.push(report.samples[index + 1]!);
      // NaN (a relay's) arrives as null: IPC speaks JSON.
      const sinceIngest = report.samples[index + 2] as number | null;
      if (typeof sinceIngest === 'number') afterIngest.push(sinceIngest);
      byJob.push([report.samples[index]! - firstN, report.samples[index + 1]!]);
    }
  }
  return { latencies, afterIngest, byJob, duplicates, events };
}
