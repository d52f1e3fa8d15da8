import type { Mode } from './relay.js';
import type { WorkerFigures } from './workerPhases.js';

/** Figures of the real-worker phases: shape label → relay → figures. */
export type WorkerResults = Record<string, Partial<Record<Mode, WorkerFigures>>>;

/** What each phase of jobcast_ingest_busy_seconds_total is, for the table. */
const INGEST_PHASES = {
  read: 'waiting for the batch\'s records',
  build: 'building the statuses',
  write: 'waiting for the Redis writes',
  broadcast: 'handing them to Socket.IO',
} as const;

/** NaN comes back from bench-results.json as null. */
const fmt = (value: number | null | undefined, digits = 2) => (value === undefined || value === null || Number.isNaN(value) ? 'n/a' : value.toFixed(digits));
const ratio = (a: number | null | undefined, b: number | null | undefined) => (a === undefined || a === null || b === undefined || !b || Number.isNaN(a) ? 'n/a' : `${(a / b).toFixed(2)}×`);

/** One row per figure and shape: jobcast, the every-event relay, the raw relay, and the two ratios that separate "more events" from "the guarantees". */
export function workerRows(results: WorkerResults): string[][] {
  const rows: string[][] = [];
  for (const [shape, byMode] of Object.entries(results)) {
    const row = (label: string, pick: (figures: WorkerFigures) => number, unit: string, digits = 2) => {
      const [jobcast, events, raw] = (['jobcast', 'events', 'raw'] as const).map((mode) => (byMode[mode] ? pick(byMode[mode]) : undefined));
      rows.push([`${shape}: ${label}`, ...[jobcast, events, raw].map((value) => (fmt(value, digits) === 'n/a' ? 'n/a' : `${fmt(value, digits)}${unit}`)), ratio(jobcast, raw), ratio(jobcast, events), ratio(events, raw)]);
    };
    row('latency p50', (f) => f.p50, ' ms');
    row('latency p90', (f) => f.p90, ' ms');
    row('latency p99', (f) => f.p99, ' ms');
    row('latency max', (f) => f.max, ' ms');
    row("worker's share p50 (processor returned → completion recorded)", (f) => f.workerRecord.p50, ' ms');
    row("worker's share p99", (f) => f.workerRecord.p99, ' ms');
    row('part after the status was built (jobcast) p50', (f) => f.afterIngest.p50, ' ms');
    row('part after the status was built (jobcast) p99', (f) => f.afterIngest.p99, ' ms');
    for (const phase of ['read', 'build', 'write', 'broadcast'] as const) {
      row(`ingest time per status broadcast (jobcast): ${INGEST_PHASES[phase]}`, (f) => f.ingestPhases?.[phase] ?? NaN, ' µs', 1);
    }
    row('lost statuses', (f) => f.lost, '', 0);
    row('duplicate statuses', (f) => f.duplicates, '', 0);
    row('jobs added per second (achieved)', (f) => f.addedPerSecond, '', 0);
    row('server RSS per subscribed client', (f) => f.rssPerClientKb, ' KB', 1);
    row('server JS heap per subscribed client (after a GC)', (f) => f.heapPerClientKb, ' KB', 1);
    row('server CPU per job (all of its statuses delivered)', (f) => f.cpuMicrosPerEvent, ' µs', 0);
    row('server event-loop delay p99 under load', (f) => f.load.loopDelay.p99, ' ms');
    row('server event-loop delay max under load', (f) => f.load.loopDelay.max, ' ms');
    row('server GC pauses under load (total)', (f) => f.load.gc.totalMs, ' ms', 1);
    row('server CPU while idle (all subscribed)', (f) => f.idle.cpuMsPerSecond, ' ms/s', 1);
    row('Redis calls per job (all processes)', (f) => f.redis.calls, '', 1);
    row('Redis CPU per job (all processes)', (f) => f.redis.cpuMicros, ' µs', 0);
    row("cores' time taken by the host (steal) under load", (f) => (f.stolenShare === undefined ? NaN : f.stolenShare * 100), ' %', 0);
    row("cores' time left idle while the jobs were added (every process on the machine)", (f) => (f.idleShare === undefined ? NaN : f.idleShare * 100), ' %', 0);
  }
  return rows;
}

/** The markdown section for BENCHMARKS.md. */
export function workerSection(results: WorkerResults): string {
  const rows = workerRows(results);
  if (rows.length === 0) return '';
  const redisTop = Object.entries(results)
    .flatMap(([shape, byMode]) => (['jobcast', 'events', 'raw'] as const).filter((mode) => byMode[mode]).map((mode) => `- ${shape}, ${mode}: ${Object.entries(byMode[mode]!.redis.top).map(([command, calls]) => `${command} ${calls}`).join(', ')}`))
    .join('\n');
  return `## Real workers, real jobs

Jobs added the way each side's users add them (jobcast's \`enqueue\`; \`queue.add\` for the relays,
with the same job options), finished by a real BullMQ worker in its own process (concurrency 100,
20 ms of waiting per job), pushed by one relay node to raw socket.io-client clients in other
processes, each client alone in its room. Latency is from the moment the worker's processor
returned (a timestamp in the job's return value) to the client's listener. "events relay"
forwards every lifecycle event a job produces (added, waiting, active, completed…) with no
guarantee; "raw relay" only \`completed\`. jobcast/events is the cost of the guarantees;
events/raw the cost of the extra events.

| figure | jobcast | events relay | raw relay | jobcast/raw | jobcast/events | events/raw |
| --- | --- | --- | --- | --- | --- | --- |
${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}

Most called Redis commands per job (commands run inside scripts are counted too):

${redisTop}
`;
}
