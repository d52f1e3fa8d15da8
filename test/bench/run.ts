/**
 * `npm run bench`: jobcast side by side with a raw relay (QueueEvents → io.to(room).emit),
 * in the same run, against its own Redis. Prints a table and writes BENCHMARKS.md and
 * bench-results.json. Not part of `npm test`: figures are measured, never asserted.
 */
import { Redis } from 'ioredis';
import { startRedisServer } from '../../scripts/redisServer.js';
import { createJobs } from './load.js';
import { measureLatency, type LatencyFigures } from './phases.js';
import { measureNodesPhase } from './nodesPhase.js';
import { printNodes } from './nodesReport.js';
import { startPool, waitUntil } from './pools.js';
import { type Mode, startIdleClients, startRelay } from './relay.js';
import { writeReport, type Results } from './report.js';
import { measureSdkCost } from './sdkCost.js';
import { measureReplay } from './replay.js';
import { measureWorkerShape, type Shape } from './workerPhases.js';
import { measureWriteCosts } from './writeCosts.js';

const ROOMS = 100;
const JOBS = 2_000;
const quick = process.env.BENCH_QUICK === '1';
const seconds = (s: number) => (quick ? Math.max(1, s / 2) : s) * 1_000;
const IDLE_CLIENTS = Number(process.env.BENCH_CLIENTS ?? (quick ? 2_000 : 10_000));
/**
 * BENCH_ONLY=workers runs the real-worker phases alone; BENCH_ONLY=stream the older ones alone
 * (the nodes phase runs on its own with `tsx test/bench/nodes.ts`).
 */
const only = process.env.BENCH_ONLY;
/** The two shapes of issue 14, smaller under BENCH_QUICK. */
const SHAPES: Shape[] = quick
  ? [
      { label: '1000/s × 200 clients', rate: 1_000, clients: 200, durationMs: 3_000 },
      { label: '500/s × 2000 clients', rate: 500, clients: 2_000, durationMs: 3_000 },
    ]
  : [
      { label: '1000/s × 1000 clients', rate: 1_000, clients: 1_000, durationMs: 10_000 },
      { label: '500/s × 10000 clients', rate: 500, clients: 10_000, durationMs: 10_000 },
    ];

const redisServer = process.env.REDIS_URL ? undefined : await startRedisServer();
const redisUrl = process.env.REDIS_URL ?? redisServer!.url;
const redis = new Redis(redisUrl);
const results: Results = { latency: {}, fanout: {}, memory: {}, ingest: {}, replay: {}, twoNodes: {}, workers: {} };
let n = 0;
const log = (line: string) => console.log(`[bench] ${line}`);

try {
  if (only !== 'stream') {
    for (const shape of SHAPES) {
      for (const mode of ['raw', 'events', 'jobcast'] as Mode[]) {
        const figures = await measureWorkerShape({ mode, shape, redisUrl, redis, warmUpMs: quick ? 500 : 2_000, log });
        results.workers[shape.label] = { ...results.workers[shape.label], [mode]: figures };
      }
    }
  }
  if (only !== 'stream') {
    results.writeCosts = await measureWriteCosts(redisUrl, { reps: quick ? 2 : 5 });
    const { oneCall, rooms, roomsWithoutHistory, records } = results.writeCosts;
    log(`writes per status: one call ${oneCall.redisMicros.toFixed(1)} µs of Redis (${oneCall.calls.toFixed(2)} commands, node ${oneCall.nodeMicros.toFixed(1)} µs); rooms ${rooms.redisMicros.toFixed(1)}, without history ${roomsWithoutHistory.redisMicros.toFixed(1)}, records ${records.redisMicros.toFixed(1)}`);
  }
  for (const mode of (only === 'workers' ? [] : ['jobcast', 'raw']) as Mode[]) {
    const queue = `bench-${mode}-${Date.now()}`;
    const jobIds = await createJobs(redisUrl, queue, JOBS, ROOMS, `jc-${queue}`);
    const relay = await startRelay({ MODE: mode, REDIS_URL: redisUrl, QUEUE: queue, KEY_PREFIX: `jc-${queue}` });
    const phase = async (label: string, pool: ReturnType<typeof startPool>, rate: number, ms: number, ids = jobIds, perRoom = 1) => {
      const figures = await measureLatency({ pool, redis, queue, jobIds: ids, rooms: ROOMS, perRoom, rate, durationMs: ms, firstN: n });
      n += figures.events;
      log(`${mode} ${label}: p50 ${figures.p50} ms, p90 ${figures.p90}, p99 ${figures.p99}, lost ${figures.lost}, dup ${figures.duplicates}, drain ${figures.drainMs} ms`);
      return figures;
    };

    const pool = startPool(mode, [relay.url], ROOMS, 1);
    await pool.ready;
    await phase('warm-up', pool, 500, 1_000);
    for (const rate of [200, 1_000, 2_000]) results.latency[`${rate}`] = { ...results.latency[`${rate}`], [mode]: await phase(`latency @${rate}/s`, pool, rate, seconds(5)) };
    results.fanout['1'] = { ...results.fanout['1'], [mode]: await phase('fan-out 1/room @500/s', pool, 500, seconds(4)) };

    let ingest: { rate: number; figures: LatencyFigures } | undefined;
    // Each completion comes with its job's start: 2 job events per completion.
    // From low rates up, so a node slower than the target still gets its real figure (not 0).
    for (const rate of [250, 500, 1_000, 2_500, 5_000, 7_500, 10_000]) {
      const figures = await phase(`ingest @${rate * 2} events/s`, pool, rate, seconds(3));
      if (figures.lost > 0 || figures.drainMs > 1_000) break;
      ingest = { rate, figures };
    }
    results.ingest[mode] = ingest ? { sustainedPerSecond: ingest.rate * 2, drainMs: ingest.figures.drainMs } : { sustainedPerSecond: 0, drainMs: NaN };
    pool.close();

    const fanPool = startPool(mode, [relay.url], 20, 10);
    await fanPool.ready;
    const firstTwenty = jobIds.filter((id) => Number(id.slice(1)) % ROOMS < 20);
    results.fanout['10'] = { ...results.fanout['10'], [mode]: await phase('fan-out 10/room @500/s', fanPool, 500, seconds(4), firstTwenty, 10) };
    fanPool.close();

    // Replay: a client away while 1,000 events (500 jobs started and completed) go to its room, then back.
    const roomZero = jobIds.filter((id) => Number(id.slice(1)) % ROOMS === 0);
    const replay = await measureReplay(mode, relay.url, async () => {
      const witness = startPool(mode, [relay.url], 1, 1);
      await witness.ready;
      await measureLatency({ pool: witness, redis, queue, jobIds: roomZero, rooms: ROOMS, perRoom: 1, rate: 2_500, durationMs: 200, firstN: n });
      n += 500;
      witness.close();
    });
    results.replay[mode] = replay;
    log(`${mode} replay: ${replay.recovered}/${replay.of} recovered${Number.isNaN(replay.ms) ? '' : ` in ${replay.ms.toFixed(1)} ms`}`);
    await relay.stop();

    // Memory: idle subscribed clients on a fresh node.
    const memoryRelay = await startRelay({ MODE: mode, REDIS_URL: redisUrl, QUEUE: queue, KEY_PREFIX: `jc-mem-${queue}` });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const rssBefore = await memoryRelay.rss();
    const groups = await Promise.all(
      [0, 1].map((offset) => startIdleClients({ URL: memoryRelay.url, MODE: mode, COUNT: IDLE_CLIENTS / 2, ROOMS: 1_000, OFFSET: offset * (IDLE_CLIENTS / 2) })),
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const rssAfter = await memoryRelay.rss();
    const subscribed = groups.reduce((sum, group) => sum + group.subscribed, 0);
    results.memory[mode] = { clients: subscribed, rssBeforeMb: rssBefore / 2 ** 20, rssAfterMb: rssAfter / 2 ** 20, perClientKb: (rssAfter - rssBefore) / 1_024 / Math.max(1, subscribed) };
    log(`${mode} memory: ${subscribed} clients, ${(rssBefore / 2 ** 20).toFixed(0)} → ${(rssAfter / 2 ** 20).toFixed(0)} MB`);
    groups.forEach((group) => group.stop());
    await memoryRelay.stop();

    // Two nodes on one Redis, with the Socket.IO Redis adapter.
    const twoQueue = `${queue}-two`;
    const twoIds = await createJobs(redisUrl, twoQueue, JOBS, ROOMS, `jc-two-${queue}`);
    const nodes = await Promise.all(
      ['a', 'b'].map((id) => startRelay({ MODE: mode, REDIS_URL: redisUrl, QUEUE: twoQueue, KEY_PREFIX: `jc-two-${queue}`, NODE_ID: id, ADAPTER: '1' })),
    );
    const twoPool = startPool(mode, nodes.map((node) => node.url), 50, 2);
    await twoPool.ready;
    const firstFifty = twoIds.filter((id) => Number(id.slice(1)) % ROOMS < 50);
    const twoFigures = await measureLatency({ pool: twoPool, redis, queue: twoQueue, jobIds: firstFifty, rooms: ROOMS, perRoom: 2, rate: 500, durationMs: seconds(4), firstN: n });
    n += twoFigures.events;
    results.twoNodes[mode] = twoFigures;
    log(`${mode} two nodes: p50 ${twoFigures.p50}, p99 ${twoFigures.p99}, lost ${twoFigures.lost}, duplicates ${twoFigures.duplicates}`);
    twoPool.close();
    await Promise.all(nodes.map((node) => node.stop()));
  }
  if (only === undefined) {
    results.nodes = await measureNodesPhase({ quick, log });
    printNodes(results.nodes);
  }
  results.sdkMicros = measureSdkCost();
  log(`client SDK: ${results.sdkMicros.toFixed(1)} µs per applied event`);
  await writeReport(results, redisUrl, redis);
} finally {
  redis.disconnect();
  await redisServer?.dispose();
}
process.exit(0);
