/**
 * `npx tsx test/bench/nodes.ts`: the nodes phase of `npm run bench` alone (1, 2 and 4 nodes on
 * one Redis and on a 3-master Redis Cluster), shorter with BENCH_QUICK=1; BENCH_NODES_REDIS=one or
 * =cluster measures one of the two. Prints the tables.
 * With BENCH_WRITE=1 it also puts its figures into bench-results.json (keeping the other
 * phases' figures) and writes BENCHMARKS.md again from it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { measureNodesPhase } from './nodesPhase.js';
import { printNodes } from './nodesReport.js';
import { renderMarkdown, type Results } from './report.js';

const results = await measureNodesPhase({ quick: process.env.BENCH_QUICK === '1', log: (line) => console.log(`[bench] ${line}`) });
printNodes(results);
if (process.env.BENCH_WRITE === '1') {
  const empty: Results = { latency: {}, fanout: {}, memory: {}, ingest: {}, replay: {}, twoNodes: {}, workers: {} };
  const saved = existsSync('bench-results.json')
    ? (JSON.parse(readFileSync('bench-results.json', 'utf8')) as { machine: string; date: string; results: Results })
    : { machine: 'unknown machine', date: results.date, results: empty };
  saved.results = { ...empty, ...saved.results, nodes: results };
  writeFileSync('bench-results.json', `${JSON.stringify(saved, null, 2)}\n`);
  writeFileSync('BENCHMARKS.md', renderMarkdown(saved.results, saved.machine, saved.date));
  console.log('\nwrote the nodes figures into bench-results.json and BENCHMARKS.md');
}
process.exit(0);
