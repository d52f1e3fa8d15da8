/**
 * What the ingest's writes cost per status, part by part, on an idle Redis: the same
 * `RoomStore.appendBatch` the ingest calls, fed statuses of jobs in 1,000 rooms (three per job:
 * waiting, active, completed), in batches of 200. Each part keeps a guarantee, so this is the
 * price list behind "jobcast/events" in the real-worker table.
 */
import { Redis } from 'ioredis';
import type { JobStatus } from '../../shared/index.js';
import { createKeys } from '../../server/store/keys.js';
import { RoomStore, type AppendInput } from '../../server/store/roomStore.js';
import { percentile } from './load.js';
import { readRedisCounters, type RedisCounters } from './redisStats.js';

/**
 * One part's cost per status: Redis's time running its script calls (`redisMicros`, from INFO
 * commandstats), the wall time of those calls seen from the node (`micros`: encoding, transfer,
 * Redis, reply), and the commands run inside them.
 */
export interface PartCost {
  redisMicros: number;
  micros: number;
  calls: number;
}

export interface WriteCosts {
  /** Statuses per run, and runs of each variant. */
  statuses: number;
  reps: number;
  /** Rooms then records in one call, as on one Redis; `nodeMicros` is the node's CPU to build and send it. */
  oneCall: PartCost & { nodeMicros: number };
  /** The room calls alone (cursor, snapshot, history), as on a cluster. */
  rooms: PartCost;
  /** The same with `historySize: 0`: no replay history. */
  roomsWithoutHistory: PartCost;
  /** The job-record calls alone (identity, restarts and takeovers), as on a cluster. */
  records: PartCost;
}

const ROOMS = 1_000;
const BATCH = 200;
const STATES = ['waiting', 'active', 'completed'] as const;
const SCRIPT_COMMANDS = ['evalsha', 'eval', 'info', 'get', 'script|load'];

type Variant = { split: boolean; historySize: number };

/**
 * One run of `statuses` statuses through a fresh set of rooms: per script, the wall time of its
 * calls and (on the split path, where Redis is read around each call) the commands run inside
 * them; the node's CPU for the whole run (meaningful on the one-call path, which reads nothing else).
 */
async function runVariant(redisUrl: string, variant: Variant, run: number, statuses: number) {
  const redis = new Redis(redisUrl);
  try {
    const keys = createKeys(`jc-writecost-${run}`);
    const store = new RoomStore(redis, keys, {
      historySize: variant.historySize,
      historyTtlMs: 600_000,
      snapshotJobs: 200,
      recordTtlMs: 600_000,
      maxReplay: 1_000,
      // One Redis, but the cluster's path: the room calls and the record calls apart.
      ...(variant.split ? { slotOf: () => 0 } : {}),
    });
    const token = '1:writecost';
    await redis.set(keys.queueLease('q'), token);
    const wall: Record<string, number> = {};
    const calls: Record<string, number> = {};
    const usec: Record<string, number> = {};
    const add = (name: string, before: ScriptCounters, after: ScriptCounters) => {
      calls[name] = (calls[name] ?? 0) + innerCalls(before.counters, after.counters);
      usec[name] = (usec[name] ?? 0) + after.scriptUsec - before.scriptUsec;
    };
    const runBefore = variant.split ? undefined : await readScriptCounters(redis);
    const scripted = redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const name of ['jobcastRoomsThenRecords', 'jobcastAppendRooms', 'jobcastRecord']) {
      const call = scripted[name]!.bind(redis);
      scripted[name] = async (...args: unknown[]) => {
        const before = variant.split ? await readScriptCounters(redis) : undefined;
        const startedAt = performance.now();
        try {
          return await call(...args);
        } finally {
          wall[name] = (wall[name] ?? 0) + performance.now() - startedAt;
          if (before) add(name, before, await readScriptCounters(redis));
        }
      };
    }
    const cpuBefore = process.cpuUsage();
    let stamp = 1_700_000_000_000;
    for (let done = 0; done < statuses; done += BATCH) {
      const inputs: AppendInput[] = [];
      for (let index = done; index < done + BATCH; index++) {
        const job = Math.floor(index / STATES.length);
        const jobId = `w${job}`;
        const state = STATES[index % STATES.length]!;
        const status: JobStatus = { jobId, queue: 'q', incarnation: `i${job}`, name: 'summarize', state, attempt: 1, maxAttempts: 3, updatedAt: stamp, correlationId: `c-${job}` };
        const event = state === 'waiting' ? 'added' : state;
        inputs.push({ queue: 'q', jobId, eventId: `${stamp++}-0`, incarnation: status.incarnation, route: { rooms: [`doc:${run}:${job % ROOMS}`] }, body: { event, status, at: stamp }, consumedRoutes: [] });
      }
      await store.appendBatch(token, 'q', inputs, { advanceTo: `${stamp}-0` });
    }
    const cpu = process.cpuUsage(cpuBefore);
    if (runBefore) add('jobcastRoomsThenRecords', runBefore, await readScriptCounters(redis));
    const perStatus = (table: Record<string, number>, name: string, scale = 1) => ((table[name] ?? NaN) * scale) / statuses;
    const part = (name: string): PartCost => ({ redisMicros: perStatus(usec, name), micros: perStatus(wall, name, 1_000), calls: perStatus(calls, name) });
    return {
      oneCall: part('jobcastRoomsThenRecords'),
      rooms: part('jobcastAppendRooms'),
      records: part('jobcastRecord'),
      nodeMicros: (cpu.user + cpu.system) / statuses,
    };
  } finally {
    redis.disconnect();
  }
}

interface ScriptCounters {
  counters: RedisCounters;
  /** Redis's time in EVALSHA so far (µs). */
  scriptUsec: number;
}

async function readScriptCounters(redis: Redis): Promise<ScriptCounters> {
  const [counters, stats] = await Promise.all([readRedisCounters(redis), redis.info('commandstats')]);
  return { counters, scriptUsec: Number(/^cmdstat_evalsha:calls=\d+,usec=(\d+)/m.exec(stats)?.[1] ?? 0) };
}

/** Commands run inside the scripts between two readings (the script calls themselves, the lease reads and the readings left out). */
function innerCalls(before: RedisCounters, after: RedisCounters): number {
  let total = 0;
  for (const [command, count] of after.calls) if (!SCRIPT_COMMANDS.includes(command)) total += count - (before.calls.get(command) ?? 0);
  return total;
}

/** Each variant `reps` times, in turn (so a noisy moment of the host hits all of them alike); the median of each. */
export async function measureWriteCosts(redisUrl: string, { reps = 5, statuses = 12_000 } = {}): Promise<WriteCosts> {
  const samples: Record<string, number[]> = {};
  const add = (name: string, value: number) => (samples[name] ??= []).push(value);
  let run = 0;
  await runVariant(redisUrl, { split: false, historySize: 500 }, run++, 3_000); // warm-up: scripts loaded, code compiled
  for (let rep = 0; rep < reps; rep++) {
    const one = await runVariant(redisUrl, { split: false, historySize: 500 }, run++, statuses);
    const split = await runVariant(redisUrl, { split: true, historySize: 500 }, run++, statuses);
    const bare = await runVariant(redisUrl, { split: true, historySize: 0 }, run++, statuses);
    add('node', one.nodeMicros);
    for (const [name, part] of [['one', one.oneCall], ['rooms', split.rooms], ['records', split.records], ['bare', bare.rooms]] as const) {
      for (const [figure, value] of Object.entries(part)) add(`${name}.${figure}`, value);
    }
  }
  const median = (name: string) => percentile(samples[name]!, 50);
  const part = (name: string): PartCost => ({ redisMicros: median(`${name}.redisMicros`), micros: median(`${name}.micros`), calls: median(`${name}.calls`) });
  return { statuses, reps, oneCall: { ...part('one'), nodeMicros: median('node') }, rooms: part('rooms'), roomsWithoutHistory: part('bare'), records: part('records') };
}

/** The markdown section for BENCHMARKS.md: the price of each part of the ingest's writes. */
export function writeCostsSection(costs: WriteCosts | undefined): string {
  if (!costs) return '';
  const f = (value: number, digits = 1) => value.toFixed(digits);
  const row = (part: string, keeps: string, cost: PartCost) => `| ${part} | ${keeps} | ${f(cost.redisMicros)} µs | ${f(cost.micros)} µs | ${f(cost.calls, 2)} |`;
  const history: PartCost = {
    redisMicros: costs.rooms.redisMicros - costs.roomsWithoutHistory.redisMicros,
    micros: costs.rooms.micros - costs.roomsWithoutHistory.micros,
    calls: costs.rooms.calls - costs.roomsWithoutHistory.calls,
  };
  return `## What the guarantees cost in Redis, per status

The ingest's writes alone (\`RoomStore.appendBatch\`, as the ingest calls it), on this run's Redis
while nothing else used it: ${costs.statuses.toLocaleString('en-US')} statuses of jobs in 1,000 rooms (waiting, active, completed
for each job), in batches of 200; the median of ${costs.reps} runs of each variant, run in turn. "Redis" is
Redis's own time in the scripts (INFO commandstats), "seen from the node" adds encoding the call,
the transfer and the reply. The parts are measured apart on the path a Redis Cluster takes (room
calls, then record calls); one Redis runs both in one call.

| part | what it keeps | Redis per status | seen from the node | Redis commands per status |
| --- | --- | --- | --- | --- |
${row("rooms' cursor and snapshot", "each room's cursor, assigned once per event however many nodes (gap detection, no duplicates), the event taken once in stream order, the lease's fence; the latest status of each job (first load, resync)", costs.roomsWithoutHistory)}
${row("rooms' history (historySize 500)", 'replay of what a client missed while away (the same rooms with historySize 0, subtracted)', history)}
${row("jobs' records", "which incarnation of a reused id a status belongs to, across restarts and takeovers (each event written once), the reconciler's open jobs, the stored stream position", costs.records)}
| all of it in one call (one Redis) | | ${f(costs.oneCall.redisMicros)} µs | ${f(costs.oneCall.micros)} µs | ${f(costs.oneCall.calls, 2)} |

Building and sending the one call took ${f(costs.oneCall.nodeMicros)} µs of the node's CPU per status.
`;
}
