import type { NodesResults, NodesRun, RedisShapeResult } from './nodesPhase.js';

/** NaN comes back from bench-results.json as null. */
const fmt = (value: number | null | undefined, digits = 1) => (value === undefined || value === null || Number.isNaN(value) ? 'n/a' : value.toFixed(digits));
/** Column titles: "no node", "1 node", "2 nodes", and "1 node, again" for a repeated count. */
const runTitle = (runs: NodesRun[], index: number) => {
  const { nodes } = runs[index]!;
  const title = nodes === 0 ? 'no node' : `${nodes} node${nodes > 1 ? 's' : ''}`;
  return runs.slice(0, index).some((run) => run.nodes === nodes) ? `${title}, again` : title;
};
const change = (value: number, base: number) => (base > 0 ? `${value >= base ? '+' : ''}${(((value - base) / base) * 100).toFixed(1)} %` : 'n/a');

/** Header and rows of one Redis shape's table: one column per run (no node, then 1, 2, 4 nodes). */
export function shapeRows(shape: RedisShapeResult): { header: string[]; rows: string[][] } {
  const runs = shape.runs;
  const baseline = runs.find((run) => run.nodes === 0);
  const header = ['figure', ...runs.map((_, index) => runTitle(runs, index))];
  const rows: string[][] = [];
  const row = (label: string, pick: (run: NodesRun) => string, withBaseline = true) => rows.push([label, ...runs.map((run) => (run.nodes === 0 && !withBaseline ? '–' : pick(run)))]);
  row('Redis calls per ingested event', (run) => fmt(run.redis.calls, 2));
  row('Redis CPU per ingested event', (run) => `${fmt(run.redis.cpuMicros)} µs`);
  row("Redis's idle work (everything started, no job) per second", (run) => `${fmt(run.idle.callsPerSecond, 0)} calls, ${fmt(run.idle.cpuMsPerSecond, 1)} ms CPU`);
  row('Redis calls / CPU per ingested event, idle work taken out', (run) => `${fmt(run.perEvent.calls, 2)} / ${fmt(run.perEvent.cpuMicros)} µs`);
  if (baseline) {
    // Calls only: the CPU difference of two runs is mostly the machine's noise.
    row("the nodes' share of those calls (minus the no-node run)", (run) => fmt(run.perEvent.calls - baseline.perEvent.calls, 2), false);
  }
  row('of which PUBLISH / SPUBLISH (statuses to the other nodes)', (run) => fmt(run.publishes, 2), false);
  row('CPU of all nodes per ingested event', (run) => `${fmt(run.nodesCpuMicrosPerEvent)} µs`, false);
  row('statuses delivered per second', (run) => fmt(run.deliveredPerSecond, 0), false);
  row('latency p50 / p99 (processor returned → client)', (run) => `${fmt(run.p50, 1)} / ${fmt(run.p99, 1)} ms`, false);
  row('lost / duplicate `completed` statuses', (run) => `${run.lost} / ${run.duplicates}`, false);
  row('subscribed clients', (run) => `${run.clients}`, false);
  row('jobs added (per second)', (run) => `${run.jobs} (${fmt(run.addedPerSecond, 0)})`);
  row('events ingested (stream entries)', (run) => `${run.ingestedEvents}`);
  row('machine busy over the window (load average at its end)', (run) => `${fmt(run.machineBusy * 100, 0)} % (${fmt(run.loadAverage)})`);
  return { header, rows };
}

/** The figures the goal compares, of one run or averaged over several. */
type Work = { calls: number; cpu: number; callsOut: number; cpuOut: number; idleCalls: number; idleCpu: number };
const workOf = (run: NodesRun): Work => ({
  calls: run.redis.calls,
  cpu: run.redis.cpuMicros,
  callsOut: run.perEvent.calls,
  cpuOut: run.perEvent.cpuMicros,
  idleCalls: run.idle.callsPerSecond,
  idleCpu: run.idle.cpuMsPerSecond,
});
const mean = (works: Work[]): Work => {
  const sum = (pick: (work: Work) => number) => works.reduce((total, work) => total + pick(work), 0) / works.length;
  return { calls: sum((w) => w.calls), cpu: sum((w) => w.cpu), callsOut: sum((w) => w.callsOut), cpuOut: sum((w) => w.cpuOut), idleCalls: sum((w) => w.idleCalls), idleCpu: sum((w) => w.idleCpu) };
};

/**
 * One sentence per run with 2 or 4 nodes against 1 node (the mean of the 1-node runs), judged
 * against the 10 % goal, then how far the 1-node runs differ from each other: the noise to read
 * those changes against.
 */
export function flatness(shape: RedisShapeResult): string[] {
  const ones = shape.runs.filter((run) => run.nodes === 1);
  const baseline = shape.runs.find((run) => run.nodes === 0);
  if (ones.length === 0) return [];
  const one = mean(ones.map(workOf));
  const within = (a: number, b: number, c: number, d: number) => (Math.abs(a - b) <= b * 0.1 && Math.abs(c - d) <= d * 0.1 ? 'within' : 'not within');
  const compare = (work: Work, base: Work) => {
    const total = `calls ${change(work.calls, base.calls)}, CPU ${change(work.cpu, base.cpu)} (${within(work.calls, base.calls, work.cpu, base.cpu)} 10 %)`;
    const out = `calls ${change(work.callsOut, base.callsOut)}, CPU ${change(work.cpuOut, base.cpuOut)} (${within(work.callsOut, base.callsOut, work.cpuOut, base.cpuOut)} 10 %)`;
    // The nodes' share of Redis CPU is a difference of two noisy timings, sometimes near zero: a percentage of it says nothing.
    const share = baseline ? `; the nodes' share of the calls ${change(work.callsOut - baseline.perEvent.calls, base.callsOut - baseline.perEvent.calls)}` : '';
    const idle = `; Redis's idle work ${change(work.idleCalls, base.idleCalls)} calls/s, ${change(work.idleCpu, base.idleCpu)} CPU/s`;
    return `${total}; idle work taken out: ${out}${share}${idle}`;
  };
  const reference = ones.length > 1 ? `1 node (the mean of its ${ones.length} runs)` : '1 node';
  const sentences = shape.runs.filter((run) => run.nodes > 1).map((run) => `${run.nodes} nodes against ${reference}: ${compare(workOf(run), one)}`);
  if (ones.length > 1) sentences.push(`the last run with 1 node against the first (the run-to-run noise): ${compare(workOf(ones.at(-1)!), workOf(ones[0]!))}`);
  return sentences;
}

/** Prints each shape's table (the standalone run). */
export function printNodes(results: NodesResults): void {
  for (const shape of results.shapes) {
    console.log(`\n${shape.label}${shape.notRun ? ` — not run: ${shape.notRun}` : ''}`);
    if (shape.runs.length === 0) continue;
    const { header, rows } = shapeRows(shape);
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((r) => r[column]!.length)));
    const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
    console.log(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
    for (const r of rows) console.log(line(r));
    for (const sentence of flatness(shape)) console.log(sentence);
  }
}

/** The markdown section for BENCHMARKS.md. */
export function nodesSection(results: NodesResults | undefined): string {
  if (!results) return '';
  const shapes = results.shapes.map((shape) => {
    const title = `### ${shape.label}`;
    const notRun = shape.notRun ? `\nNot run${shape.runs.length > 0 ? ' to the end' : ''}: ${shape.notRun}\n` : '';
    if (shape.runs.length === 0) return `${title}\n${notRun}`;
    const { header, rows } = shapeRows(shape);
    const top = shape.runs.map((run, index) => `- ${runTitle(shape.runs, index)}: ${Object.entries(run.redis.top).map(([command, calls]) => `${command} ${calls}`).join(', ')}`).join('\n');
    const goal = flatness(shape).map((sentence) => `- ${sentence}`).join('\n');
    return `${title}
${notRun}
| ${header.join(' | ')} |
| ${header.map(() => '---').join(' | ')} |
${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}

Redis work per event against 1 node (goal: flat within 10 %):

${goal}

Most called Redis commands per ingested event (commands run inside scripts counted too):

${top}
`;
  });
  const processes = (nodes: number, redis: number) => `${nodes * 2 + 2 + redis}`;
  const redisCounts = results.shapes.map((shape) => shape.redisProcesses);
  return `## Several nodes${results.quick ? ' (a quick run)' : ''}

jobcast with 1, 2 and 4 nodes, then 1 node again to show how far two runs of the same count differ (measured ${results.date.slice(0, 16).replace('T', ' ')} UTC): jobs added with jobcast's
\`enqueue\` at ${results.rate} jobs/s for ${results.durationMs / 1_000} s (after a warm-up), finished by one real BullMQ worker
(concurrency 100, 20 ms per job); ${results.clients} subscribed clients, each alone in its room, spread evenly over the nodes
(one client process per node). An ingested event is one entry of BullMQ's events stream (added, waiting, active,
completed: four per job). Redis figures are INFO commandstats and INFO cpu deltas over the window, summed over every Redis
process, for everything that talks to Redis (enqueuer, worker, nodes); "no node" is the same load with no jobcast node
running, so the difference is the nodes' share. Redis also works with no job at all (lease renewals, the worker watch, blocked
reads, cluster gossip), more with more nodes and per second, not per event: it is measured for ${results.idleMs / 1_000} s with everything
started before each run's load, and taken out of the window in the "idle work taken out" row, the per-event cost the goal is
about. Latency is from the worker's processor returning to the client's listener.

**Where this machine limits the figures.** Everything runs on one machine with ${results.cores} cores: the nodes, the
Redis process(es), the worker, the bench process that adds the jobs and one client process per node — ${redisCounts
    .map((count) => `${processes(1, count)} to ${processes(4, count)} processes with ${count === 1 ? 'one Redis' : `${count} masters`}`)
    .join(', ')}. The rate is fixed, so "statuses delivered per second" is the load's, not a capacity (three statuses per job reach its
client: added, active, completed; ${results.rate * 3} a second at this rate): more nodes on the same cores cannot deliver more, and
they add processes that wait for a core. When the cores are saturated ("machine busy" near 100 %, a load average above
${results.cores}), the nodes fall behind the fixed rate: the latency is then a backlog (up to seconds, and the statuses per second
fall because the window stretches to the last delivery), and the ingest reads larger batches, whose per-batch reads are
shared by more events, so Redis calls per event go down by up to a tenth: compare node counts whose latencies are alike.
Redis calls are counted, not timed; Redis CPU is timed and moves with the machine's load, by up to a quarter between two
runs of the same count here (the last sentence under each table). On
a cluster, the three masters share the same cores, so the cluster shows what jobcast asks of Redis, not what three
machines would serve.

${shapes.join('\n')}`;
}
