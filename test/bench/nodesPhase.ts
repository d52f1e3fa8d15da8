/**
 * The nodes phase: jobcast with 1, 2 and 4 nodes on one Redis and on a 3-master Redis Cluster.
 * Jobs are added with jobcast's enqueuer at a fixed rate and finished by a real BullMQ worker
 * (as in the real-worker phases); subscribed clients, each alone in its room, are spread evenly
 * over the nodes, one client process per node. The figure the phase is for is the Redis work per
 * ingested event (every entry of BullMQ's events stream), summed over every Redis process: it
 * should not grow with the number of nodes. A run with no node at all gives the part that is
 * BullMQ's and the enqueuer's (the same whatever the number of nodes).
 */
import type { ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { Redis, type Cluster } from 'ioredis';
import { startRedisCluster } from '../../scripts/redisCluster.js';
import { startRedisServer } from '../../scripts/redisServer.js';
import { createEnqueuer } from '../../server/index.js';
import type { BenchRedisEnv } from './benchRedis.js';
import { now, percentile } from './load.js';
import { produceJobs } from './produceJobs.js';
import { readRedisCountersOf, redisWorkPerJob } from './redisStats.js';
import { ask, spawnBenchChild, waitForLine } from './relay.js';
import { collectLatencies } from './workerPhases.js';

export interface NodesRun {
  /** 0: the producer and the worker alone, no jobcast node. */
  nodes: number;
  clients: number;
  jobs: number;
  addedPerSecond: number;
  /** Entries BullMQ wrote to the queue's events stream over the window: what the nodes ingest. */
  ingestedEvents: number;
  /** Statuses of every kind the clients received over the window, per second of it. */
  deliveredPerSecond: number;
  p50: number;
  p99: number;
  lost: number;
  duplicates: number;
  /** Redis calls and CPU per ingested event, every Redis process and every client of them together. */
  redis: ReturnType<typeof redisWorkPerJob>;
  /**
   * Redis's work with everything started and no job (lease renewals, worker watch, blocked
   * reads, cluster gossip…), per second: it grows with the number of nodes, not with events.
   */
  idle: { callsPerSecond: number; cpuMsPerSecond: number };
  /** Redis calls and CPU per ingested event once the idle work of the window is taken out. */
  perEvent: { calls: number; cpuMicros: number };
  /** PUBLISH and SPUBLISH calls per ingested event: how statuses reach the other nodes. */
  publishes: number;
  /** CPU time of all the nodes together per ingested event. */
  nodesCpuMicrosPerEvent: number;
  /** Share of the machine's cores busy over the window (everything on the machine, not only the bench). */
  machineBusy: number;
  /** The machine's 1-minute load average at the end of the window: above the core count, processes waited for a core. */
  loadAverage: number;
  /** From the first add to the last `completed` delivered (or the worker's last job, with no node). */
  windowMs: number;
}

export interface RedisShapeResult {
  label: string;
  redisProcesses: number;
  runs: NodesRun[];
  /** Why this shape was not measured (or not completely), e.g. the server refusing a cluster. */
  notRun?: string;
}

export interface NodesResults {
  date: string;
  quick: boolean;
  rate: number;
  clients: number;
  durationMs: number;
  /** How long Redis's idle work is measured before each run's load. */
  idleMs: number;
  /** The machine's cores, which every process of the phase shares. */
  cores: number;
  shapes: RedisShapeResult[];
}

/** No node first (BullMQ's and the enqueuer's share), one node again last: how far two runs of the same count differ. */
const NODE_COUNTS = [0, 1, 2, 4, 1];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One Redis or a cluster, as the phase needs it: children's env, INFO readers, a client for the stream and the enqueuer. */
interface RedisShape {
  label: string;
  env: BenchRedisEnv;
  bullPrefix: string;
  /** One plain connection per Redis process, for INFO. */
  statsClients: Redis[];
  commands: Redis | Cluster;
  enqueuerRedis: string | Cluster;
  dispose(): Promise<void>;
}

async function oneRedis(): Promise<RedisShape> {
  const server = await startRedisServer();
  const commands = new Redis(server.url);
  return {
    label: 'one Redis',
    // An empty REDIS_CLUSTER overrides one the bench may have been started with.
    env: { REDIS_URL: server.url, REDIS_CLUSTER: '' },
    bullPrefix: 'bull',
    statsClients: [commands],
    commands,
    enqueuerRedis: server.url,
    dispose: async () => {
      commands.disconnect();
      await server.dispose();
    },
  };
}

async function threeMasters(): Promise<RedisShape> {
  const cluster = await startRedisCluster({ masters: 3 });
  const statsClients = cluster.urls.map((url) => new Redis(url));
  const commands = cluster.newClient();
  const enqueuerRedis = cluster.newClient();
  return {
    label: 'Redis Cluster, 3 masters',
    env: { REDIS_CLUSTER: cluster.urls.join(','), REDIS_URL: '' },
    bullPrefix: '{bull}',
    statsClients,
    commands,
    enqueuerRedis,
    dispose: async () => {
      statsClients.forEach((client) => client.disconnect());
      commands.disconnect();
      enqueuerRedis.disconnect();
      await cluster.dispose();
    },
  };
}

/** `entries-added` of XINFO STREAM: every entry ever written, trimmed or not. */
async function entriesAdded(redis: Redis | Cluster, key: string): Promise<number> {
  const info = (await redis.xinfo('STREAM', key).catch(() => [])) as unknown[];
  const at = info.indexOf('entries-added');
  return at >= 0 ? Number(info[at + 1]) : 0;
}

/** Busy and total CPU time of the machine so far, over all cores. */
function machineTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const sum = times.user + times.nice + times.sys + times.irq + times.idle;
    total += sum;
    busy += sum - times.idle;
  }
  return { busy, total };
}

/** Starts one node; rejects with the server's own reason when it refuses to start. */
async function startNode(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawnBenchChild('./nodeServer.ts', env);
  const match = await waitForLine(child, /ready (\d+)|failed (.*)/, 60_000);
  if (match[2] !== undefined) throw new Error(match[2]);
  return { child, url: `http://127.0.0.1:${match[1]}` };
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map((child) => {
      if (child.exitCode !== null || child.signalCode !== null) return undefined;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      return exited;
    }),
  );
}

async function measureRun(args: { shape: RedisShape; nodes: number; rate: number; clients: number; durationMs: number; warmUpMs: number; idleMs: number; log: (line: string) => void }): Promise<NodesRun> {
  const { shape, nodes: nodeCount, rate } = args;
  const queue = `bench-nodes-${shape.bullPrefix === 'bull' ? 'one' : 'cluster'}-${nodeCount}-${Date.now()}`;
  const keyPrefix = `jc-${queue}`;
  const env = { ...shape.env, QUEUE: queue, KEY_PREFIX: keyPrefix } as Record<string, string>;
  const nodes: Array<{ child: ChildProcess; url: string }> = [];
  const clients: ChildProcess[] = [];
  const others: ChildProcess[] = [];
  const enqueuer = createEnqueuer({ redis: shape.enqueuerRedis, keyPrefix, bullPrefix: shape.bullPrefix });
  try {
    // One at a time, so a refusal stops the run before the next node starts.
    for (let index = 0; index < nodeCount; index++) nodes.push(await startNode({ ...env, NODE_ID: `node-${index}` }));
    const perNode = nodeCount === 0 ? 0 : Math.floor(args.clients / nodeCount);
    nodes.forEach((node, index) => clients.push(spawnBenchChild('./latencyClients.ts', { URL: node.url, MODE: 'jobcast', COUNT: String(perNode), OFFSET: String(index * perNode) })));
    const subscribed = (await Promise.all(clients.map((child) => waitForLine(child, /subscribed (\d+) failed (\d+)/, 300_000)))).reduce((sum, match) => sum + Number(match[1]), 0);
    const rooms = Math.max(1, perNode * nodeCount);

    const worker = spawnBenchChild('./workerProcess.ts', { ...env, CONCURRENCY: '100', WORK_MS: '20' });
    others.push(worker);
    await waitForLine(worker, /ready/, 60_000);
    const idleBefore = await readRedisCountersOf(shape.statsClients);
    await sleep(args.idleMs);
    const idle = redisWorkPerJob(idleBefore, await readRedisCountersOf(shape.statsClients), args.idleMs / 1_000);
    const add = (n: number, room: string) => enqueuer.enqueue(queue, 'bench', { n }, { rooms: [room] });
    const roomOf = (n: number) => `bench:${n % rooms}`;
    const warmUpJobs = Math.round((rate * args.warmUpMs) / 1_000);
    await produceJobs({ add, roomOf, firstN: 0, ratePerSecond: rate, durationMs: args.warmUpMs });
    await sleep(1_000);

    await ask(worker, `measure-from ${warmUpJobs}`);
    const streamKey = `${shape.bullPrefix}:${queue}:events`;
    const statuses = async () => Object.values((await collectLatencies(clients, warmUpJobs)).events).reduce((sum, count) => sum + count, 0);
    const statusesBefore = await statuses();
    await Promise.all(nodes.map((node) => ask(node.child, 'stats')));
    const redisBefore = await readRedisCountersOf(shape.statsClients);
    const addedBefore = await entriesAdded(shape.commands, streamKey);
    const machineBefore = machineTimes();
    const start = now();

    const produced = await produceJobs({ add, roomOf, firstN: warmUpJobs, ratePerSecond: rate, durationMs: args.durationMs });
    const jobs = produced.added;
    const deadline = Date.now() + 20_000;
    let measured = await collectLatencies(clients, warmUpJobs);
    // With no node, the window ends when the worker has finished every job instead.
    const finished = async () => (nodeCount > 0 ? measured.latencies.length : (await ask<{ finished: number }>(worker, 'report')).finished - warmUpJobs);
    while ((await finished()) < jobs && Date.now() < deadline) {
      await sleep(100);
      if (nodeCount > 0) measured = await collectLatencies(clients, warmUpJobs);
    }
    const windowMs = now() - start;
    const machineAfter = machineTimes();
    const redisAfter = await readRedisCountersOf(shape.statsClients);
    const ingestedEvents = (await entriesAdded(shape.commands, streamKey)) - addedBefore;
    const nodeCpuMs = (await Promise.all(nodes.map((node) => ask<{ cpuMs: number }>(node.child, 'stats')))).reduce((sum, stats) => sum + stats.cpuMs, 0);
    const delivered = (await statuses()) - statusesBefore;

    const events = Math.max(1, ingestedEvents);
    const redis = redisWorkPerJob(redisBefore, redisAfter, events);
    const run: NodesRun = {
      nodes: nodeCount,
      clients: subscribed,
      jobs,
      addedPerSecond: produced.achievedPerSecond,
      ingestedEvents,
      deliveredPerSecond: (delivered * 1_000) / windowMs,
      p50: percentile(measured.latencies, 50),
      p99: percentile(measured.latencies, 99),
      lost: nodeCount > 0 ? jobs - measured.latencies.length : 0,
      duplicates: measured.duplicates,
      redis,
      idle: { callsPerSecond: idle.calls, cpuMsPerSecond: idle.cpuMicros / 1_000 },
      perEvent: {
        calls: redis.calls - (idle.calls * windowMs) / 1_000 / events,
        cpuMicros: redis.cpuMicros - (idle.cpuMicros * windowMs) / 1_000 / events,
      },
      publishes: ['publish', 'spublish'].reduce((sum, command) => sum + (redisAfter.calls.get(command) ?? 0) - (redisBefore.calls.get(command) ?? 0), 0) / events,
      nodesCpuMicrosPerEvent: (nodeCpuMs * 1_000) / events,
      loadAverage: loadavg()[0]!,
      machineBusy: (machineAfter.busy - machineBefore.busy) / Math.max(1, machineAfter.total - machineBefore.total),
      windowMs,
    };
    const f = (value: number, digits = 1) => (Number.isNaN(value) ? 'n/a' : value.toFixed(digits));
    args.log(
      `nodes ${shape.label}, ${nodeCount} node(s): ${jobs} jobs (${f(run.addedPerSecond, 0)}/s), ${ingestedEvents} events ingested, ${subscribed} clients, ` +
        `Redis ${f(run.redis.calls, 2)} calls (${f(run.publishes, 2)} publishes) and ${f(run.redis.cpuMicros)} µs CPU per event ` +
        `(idle work out: ${f(run.perEvent.calls, 2)} calls, ${f(run.perEvent.cpuMicros)} µs; idle ${f(run.idle.callsPerSecond, 0)} calls/s, ${f(run.idle.cpuMsPerSecond, 1)} ms CPU/s), nodes ${f(run.nodesCpuMicrosPerEvent)} µs CPU per event, ` +
        `${f(run.deliveredPerSecond, 0)} statuses/s delivered, p50 ${f(run.p50, 2)} ms, p99 ${f(run.p99, 2)} ms, lost ${run.lost}, dup ${run.duplicates}, ` +
        `machine ${f(run.machineBusy * 100, 0)} % busy (load average ${f(run.loadAverage)}), top ${JSON.stringify(run.redis.top)}`,
    );
    return run;
  } finally {
    await enqueuer.close().catch(() => undefined);
    await stopAll([...clients, ...others, ...nodes.map((node) => node.child)]);
  }
}

/** Runs both Redis shapes; a shape whose nodes refuse to start is reported "not run" with the reason, not thrown. */
export async function measureNodesPhase(args: { quick: boolean; log: (line: string) => void }): Promise<NodesResults> {
  const rate = Number(process.env.BENCH_NODES_RATE ?? 200);
  const clients = Number(process.env.BENCH_NODES_CLIENTS ?? (args.quick ? 200 : 1_000));
  const durationMs = args.quick ? 3_000 : 8_000;
  const warmUpMs = args.quick ? 500 : 2_000;
  const idleMs = args.quick ? 2_000 : 3_000;
  const results: NodesResults = { date: new Date().toISOString(), quick: args.quick, rate, clients, durationMs, idleMs, cores: cpus().length, shapes: [] };
  // BENCH_NODES_REDIS=one or =cluster measures one shape only.
  const only = process.env.BENCH_NODES_REDIS;
  for (const [label, start, processes, name] of [
    ['one Redis', oneRedis, 1, 'one'],
    ['Redis Cluster, 3 masters', threeMasters, 3, 'cluster'],
  ] as const) {
    if (only && only !== name) continue;
    const result: RedisShapeResult = { label, redisProcesses: processes, runs: [] };
    results.shapes.push(result);
    let shape: RedisShape | undefined;
    try {
      shape = await start();
      for (const nodes of NODE_COUNTS) result.runs.push(await measureRun({ shape, nodes, rate, clients, durationMs, warmUpMs, idleMs, log: args.log }));
    } catch (error) {
      result.notRun = error instanceof Error ? error.message : String(error);
      args.log(`nodes ${label}: not run: ${result.notRun}`);
    } finally {
      await shape?.dispose();
    }
  }
  return results;
}
