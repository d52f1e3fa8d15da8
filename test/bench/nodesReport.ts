import type { NodesResults, NodesRun, RedisShapeResult } from './nodesPhase.js';

/** NaN comes back from bench-results.json as null. */
const fmt = (value: number | null | undefined, digits = 1) => (value === undefined || value === null || Number.isNaN(value) ? 'n/a' : value.toFixed(digits));
const change = (value: number, base: number) => (base > 0 ? `${value >= base ? '+' : ''}${(((value - base) / base) * 100).toFixed(1)} %` : 'n/a');

/** Header and rows of one Redis shape's table: one column per run (no node, then 1, 2, 4 nodes). */
export function shapeRows(shape: RedisShapeResult): { header: string[]; rows: string[][] } {
  const runs = shape.runs;
  const baseline = runs.find((run) => run.nodes === 0);
  const header = ['figure', ...runs.map((run) => (run.nodes === 0 ? 'no node' : `${run.nodes} node${run.nodes > 1 ? 's' : ''}`))];
  const rows: string[][] = [];
  const row = (label: string, pick: (run: NodesRun) => string, withBaseline = true) => rows.push([label, ...runs.map((run) => (run.nodes === 0 && !withBaseline ? '–' : pick(run)))]);
  row('Redis calls per ingested event', (run) => fmt(run.redis.calls, 2));
  row('Redis CPU per ingested event', (run) => `${fmt(run.redis.cpuMicros)} µs`);
  if (baseline) {
    row("the nodes' share of the calls (minus the no-node run)", (run) => fmt(run.redis.calls - baseline.redis.calls, 2), false);
    row("the nodes' share of Redis CPU", (run) => `${fmt(run.redis.cpuMicros - baseline.redis.cpuMicros)} µs`, false);
  }
  row('of which PUBLISH / SPUBLISH (statuses to the other nodes)', (run) => fmt(run.publishes, 2), false);
  row('CPU of all nodes per ingested event', (run) => `${fmt(run.nodesCpuMicrosPerEvent)} µs`, false);
  row('statuses delivered per second', (run) => fmt(run.deliveredPerSecond, 0), false);
  row('latency p50 / p99 (processor returned → client)', (run) => `${fmt(run.p50, 1)} / ${fmt(run.p99, 1)} ms`, false);
  row('lost / duplicate `completed` statuses', (run) => `${run.lost} / ${run.duplicates}`, false);
  row('subscribed clients', (run) => `${run.clients}`, false);
  row('jobs added (per second)', (run) => `${run.jobs} (${fmt(run.addedPerSecond, 0)})`);
  row('events ingested (stream entries)', (run) => `${run.ingestedEvents}`);
  row('machine busy over the window', (run) => `${fmt(run.machineBusy * 100, 0)} %`);
  return { header, rows };
}

/** "4 nodes against 1: calls +2.1 %, CPU +7.0 %", for the total and the nodes' share, judged against the 10 % goal. */
export function flatness(shape: RedisShapeResult): string[] {
  const one = shape.runs.find((run) => run.nodes === 1);
  const baseline = shape.runs.find((run) => run.nodes === 0);
  if (!one) return [];
  return shape.runs
    .filter((run) => run.nodes > 1)
    .map((run) => {
      const total = `all processes: calls ${change(run.redis.calls, one.redis.calls)}, CPU ${change(run.redis.cpuMicros, one.redis.cpuMicros)}`;
      const within = Math.abs(run.redis.calls - one.redis.calls) <= one.redis.calls * 0.1 && Math.abs(run.redis.cpuMicros - one.redis.cpuMicros) <= one.redis.cpuMicros * 0.1;
      // The nodes' share of Redis CPU is a difference of two noisy timings, often near zero: a percentage of it says nothing.
      const share = baseline ? `; the nodes' share of the calls ${change(run.redis.calls - baseline.redis.calls, one.redis.calls - baseline.redis.calls)}` : '';
      return `${run.nodes} nodes against 1: ${total} (${within ? 'within' : 'not within'} 10 %)${share}`;
    });
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
    const top = shape.runs.map((run) => `- ${run.nodes === 0 ? 'no node' : `${run.nodes} node(s)`}: ${Object.entries(run.redis.top).map(([command, calls]) => `${command} ${calls}`).join(', ')}`).join('\n');
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

jobcast with 1, 2 and 4 nodes (measured ${results.date.slice(0, 16).replace('T', ' ')} UTC): jobs added with jobcast's
\`enqueue\` at ${results.rate} jobs/s for ${results.durationMs / 1_000} s (after a warm-up), finished by one real BullMQ worker
(concurrency 100, 20 ms per job); ${results.clients} subscribed clients, each alone in its room, spread evenly over the nodes
(one client process per node). An ingested event is one entry of BullMQ's events stream (added, waiting, active,
completed: four per job). Redis figures are INFO commandstats and INFO cpu deltas over the window, summed over every Redis
process, for everything that talks to Redis (enqueuer, worker, nodes); "no node" is the same load with no jobcast node
running, so the difference is the nodes' share. Latency is from the worker's processor returning to the client's listener.

**Where this machine limits the figures.** Everything runs on one machine with ${results.cores} cores: the nodes, the
Redis process(es), the worker, the bench process that adds the jobs and one client process per node — ${redisCounts
    .map((count) => `${processes(1, count)} to ${processes(4, count)} processes with ${count === 1 ? 'one Redis' : `${count} masters`}`)
    .join(', ')}. The rate is fixed (below what one node ingests here), so "statuses delivered per second" is the load's, not a
capacity: more nodes on the same cores cannot deliver more, and they add processes that wait for a core, which shows in the
latency (p99 most). Per-event costs (Redis calls, CPU per event) are what this machine can compare across node counts;
they are counted, not timed, except Redis CPU, which also moves with the machine's load ("machine busy" row). On a
cluster, the three masters share the same cores, so the cluster measures what jobcast asks of Redis, not what three
machines would serve.

${shapes.join('\n')}`;
}
