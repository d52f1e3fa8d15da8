import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type { Redis } from 'ioredis';
import type { NodesResults } from './nodesPhase.js';
import { cpuTicks, stolenShare } from './hostSteal.js';
import { nodesSection } from './nodesReport.js';
import type { LatencyFigures } from './phases.js';
import type { Mode } from './relay.js';
import { workerRows, workerSection, type WorkerResults } from './workerReport.js';
import { writeCostsSection, type WriteCosts } from './writeCosts.js';

type PerMode<T> = Partial<Record<Mode, T>>;

export interface Results {
  latency: Record<string, PerMode<LatencyFigures>>;
  fanout: Record<string, PerMode<LatencyFigures>>;
  memory: PerMode<{ clients: number; rssBeforeMb: number; rssAfterMb: number; perClientKb: number }>;
  ingest: PerMode<{ sustainedPerSecond: number; drainMs: number }>;
  replay: PerMode<{ ms: number; recovered: number; of: number }>;
  twoNodes: PerMode<LatencyFigures>;
  /** The real-worker phases (issue 14's two shapes), per shape and relay. */
  workers: WorkerResults;
  /** The browser SDK's own cost per event, measured apart from the relay. */
  sdkMicros?: number;
  /** jobcast with 1, 2 and 4 nodes, on one Redis and on a Redis Cluster. */
  nodes?: NodesResults;
  /** The ingest's writes alone, part by part. */
  writeCosts?: WriteCosts;
}

/** NaN comes back from bench-results.json as null. */
const fmt = (value: number | null | undefined, digits = 0) => (value === undefined || value === null || Number.isNaN(value) ? 'n/a' : value.toFixed(digits));
const ratio = (a: number | null | undefined, b: number | null | undefined) => (a === undefined || a === null || b === undefined || !b || Number.isNaN(a) ? 'n/a' : (a / b).toFixed(2));

/** Rows of the stream phases: figure, jobcast, raw, ratio. */
function streamRows(results: Results): Array<[string, string, string, string]> {
  const rows: Array<[string, string, string, string]> = [];
  const row = (label: string, jobcast: number | undefined, raw: number | undefined, unit: string, digits = 0) =>
    rows.push([label, `${fmt(jobcast, digits)} ${unit}`, `${fmt(raw, digits)} ${unit}`, ratio(jobcast, raw)]);
  for (const [rate, figures] of Object.entries(results.latency)) {
    row(`latency p50 @${rate} jobs/s`, figures.jobcast?.p50, figures.raw?.p50, 'ms', 2);
    row(`latency p90 @${rate} jobs/s`, figures.jobcast?.p90, figures.raw?.p90, 'ms', 2);
    row(`latency p99 @${rate} jobs/s`, figures.jobcast?.p99, figures.raw?.p99, 'ms', 2);
  }
  for (const [perRoom, figures] of Object.entries(results.fanout)) {
    row(`fan-out ${perRoom} client(s)/room p50 @500/s`, figures.jobcast?.p50, figures.raw?.p50, 'ms', 2);
    row(`fan-out ${perRoom} client(s)/room p99 @500/s`, figures.jobcast?.p99, figures.raw?.p99, 'ms', 2);
  }
  row(`RSS per idle subscribed client (${results.memory.jobcast?.clients ?? '?'} clients)`, results.memory.jobcast?.perClientKb, results.memory.raw?.perClientKb, 'KB', 1);
  row('ingest: highest job-event rate with 0 loss, one node', results.ingest.jobcast?.sustainedPerSecond, results.ingest.raw?.sustainedPerSecond, 'ev/s');
  rows.push([
    'replay of 1,000 missed events',
    `${fmt(results.replay.jobcast?.ms)} ms (${results.replay.jobcast?.recovered ?? 0}/1000)`,
    `${results.replay.raw?.recovered ?? 0}/1000 recovered`,
    'n/a',
  ]);
  row('two nodes: duplicate deliveries', results.twoNodes.jobcast?.duplicates, results.twoNodes.raw?.duplicates, '');
  row('two nodes: lost deliveries', results.twoNodes.jobcast?.lost, results.twoNodes.raw?.lost, '');
  row('two nodes: latency p50 @500/s', results.twoNodes.jobcast?.p50, results.twoNodes.raw?.p50, 'ms', 2);
  row('two nodes: latency p99 @500/s', results.twoNodes.jobcast?.p99, results.twoNodes.raw?.p99, 'ms', 2);
  rows.push(['client SDK: CPU per applied event (parse + cursor)', `${fmt(results.sdkMicros, 1)} µs`, 'n/a', 'n/a']);
  return rows;
}

/** Taken when the bench starts (run.ts imports this module first thing). */
const TICKS_AT_START = cpuTicks();

/** Prints the tables and writes BENCHMARKS.md (with the machine) and bench-results.json (raw figures). */
export async function writeReport(results: Results, redisUrl: string, redis: Redis): Promise<void> {
  const rows = streamRows(results);
  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((r) => r[column]!.length), ['figure', 'jobcast', 'raw', 'ratio'][column]!.length));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
  console.log(`\n${line(['figure', 'jobcast', 'raw', 'ratio'])}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const r of rows) console.log(line(r));
  const real = workerRows(results.workers);
  if (real.length > 0) {
    const header = ['real workers', 'jobcast', 'events', 'raw', 'jc/raw', 'jc/events', 'events/raw'];
    const realWidths = header.map((title, column) => Math.max(title.length, ...real.map((r) => r[column]!.length)));
    const realLine = (cells: string[]) => cells.map((cell, column) => cell.padEnd(realWidths[column]!)).join('  ');
    console.log(`\n${realLine(header)}\n${realWidths.map((w) => '-'.repeat(w)).join('  ')}`);
    for (const r of real) console.log(realLine(r));
  }

  const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
  const machine = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}, Redis ${redisVersion}, load average ${loadavg().map((load) => load.toFixed(1)).join(' / ')} (1 / 5 / 15 min) at the end${stolenDuringRun()}`;
  const date = new Date().toISOString();
  writeFileSync('BENCHMARKS.md', renderMarkdown(results, machine, date));
  writeFileSync('bench-results.json', `${JSON.stringify({ machine, date, redisUrl: redisUrl.replace(/\/\/.*@/, '//'), results }, null, 2)}\n`);
  console.log('\nwrote BENCHMARKS.md and bench-results.json');
}

/** BENCHMARKS.md: the tables, the targets, then test/bench/NOTES.md (the hand-written reading). */
/** ", N % of the cores' time taken by the host" when the machine is a virtual machine that reports it. */
function stolenDuringRun(): string {
  const share = stolenShare(TICKS_AT_START, cpuTicks());
  return share === undefined ? '' : `, ${(share * 100).toFixed(0)} % of the cores' time taken by the host for other machines (steal) during the run`;
}

export function renderMarkdown(results: Results, machine: string, date: string): string {
  const rows = streamRows(results);
  const targets = [
    `latency ratio p50 @1000/s ≤ 1.25: ${ratio(results.latency['1000']?.jobcast?.p50, results.latency['1000']?.raw?.p50)}`,
    `latency ratio p99 @1000/s ≤ 1.25: ${ratio(results.latency['1000']?.jobcast?.p99, results.latency['1000']?.raw?.p99)}`,
    `RSS per client ≤ 20 KB: ${fmt(results.memory.jobcast?.perClientKb, 1)} KB`,
    `≥ 5,000 job events/s per node with 0 loss: ${fmt(results.ingest.jobcast?.sustainedPerSecond)} ev/s`,
    `replay of 1,000 events < 250 ms: ${fmt(results.replay.jobcast?.ms)} ms`,
    ...Object.entries(results.workers).flatMap(([shape, byMode]) => [
      `real workers, ${shape}: ratio to the raw relay ≤ 1.25 at p50 / p99: ${ratio(byMode.jobcast?.p50, byMode.raw?.p50)} / ${ratio(byMode.jobcast?.p99, byMode.raw?.p99)}`,
      `real workers, ${shape}: p99 ≤ 10 ms: ${fmt(byMode.jobcast?.p99, 2)} ms; RSS per subscribed client ≤ 16 KB: ${fmt(byMode.jobcast?.rssPerClientKb, 1)} KB (JS heap ${fmt(byMode.jobcast?.heapPerClientKb, 1)} KB)`,
    ]),
  ];
  const notesPath = new URL('./NOTES.md', import.meta.url);
  const notes = existsSync(notesPath) ? readFileSync(notesPath, 'utf8') : '';
  return `# jobcast benchmarks

Measured by \`npm run bench\` on ${date.slice(0, 10)}: ${machine}.
Every figure is measured side by side in the same run: through jobcast (authorization, cursor,
history, snapshot on) and through relays written inside the bench: the raw relay (BullMQ
\`QueueEvents\` \`completed\` → \`Job.fromId\` → \`io.to(room).emit\`, no auth, no cursor) and, with
real workers, the events relay (the same for every job event). Ratios are the figures to quote;
absolute times vary from machine to machine. A load average above the core count means other
work shared the machine during the run, and steal above a few percent means the host of a virtual
machine gave it less CPU than its cores: then even ratios of latencies are noisy (the relays run
one after the other, each under whatever the host left it), and the costs per job (CPU, Redis,
GC) are the figures to compare.

${workerSection(results.workers)}
${writeCostsSection(results.writeCosts)}
${nodesSection(results.nodes)}
## Events written into the stream

Load here is BullMQ \`completed\` events written to the queue's events stream at a fixed rate
(what workers finishing jobs write, without the workers); latency is from that write to the
client's listener, in the same process as the load generator.

| figure | jobcast | raw | ratio |
| --- | --- | --- | --- |
${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}

## Targets

${targets.map((target) => `- ${target}`).join('\n')}

${notes}`;
}
