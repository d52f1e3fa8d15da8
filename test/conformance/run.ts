/**
 * jobcast conformance suite, long form: `npm run conformance`.
 *
 * Seeded workloads over BullMQ's features against real jobcast server nodes (child
 * processes) and real clients, with and without faults; every client's view of every job is
 * compared with BullMQ's own. Prints mismatches by feature and kind and ends with a line
 * `N passed, N failed`. Exits 0 only when nothing failed.
 *
 *   npm run conformance                          5 seeds × (no faults, faults), 1,050 jobs each (≥ 10,000 in all)
 *   npm run conformance -- --seeds 7,8 --jobs 300 --faults on
 *   CONFORMANCE_SEEDS=1,2 CONFORMANCE_JOBS=500 CONFORMANCE_FAULTS=both npm run conformance
 *   npm run conformance -- --seeds 3 --jobs 40 --features drain --faults off   (replay one feature)
 *   npm run conformance -- --canary              runs with JOBCAST_CANARY=stale-route and
 *                                                passes only if the suite catches it (misrouted > 0)
 *   npm run conformance -- --seeds 11 --jobs 400 --faults on --cluster
 *                                                on a throwaway 3-master Redis Cluster (CONFORMANCE_CLUSTER=1)
 */
import { formatRun, formatTotals } from './report.js';
import { runCanary } from './canary.js';
import { closeOpenWorlds, runSeed, type RunResult } from './suite.js';
import { ALL_FEATURES } from './workload.js';

process.env.NODE_ENV ??= 'test';

function arg(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  if (index >= 0) return process.argv[index + 1];
  const inline = process.argv.find((item) => item.startsWith(`--${name}=`));
  return inline?.slice(name.length + 3);
}

const seeds = (arg('seeds') ?? process.env.CONFORMANCE_SEEDS ?? '1,2,3,4,5').split(',').map((seed) => {
  const value = Number(seed.trim());
  if (!Number.isSafeInteger(value)) throw new Error(`not a seed: ${seed}`);
  return value;
});
const jobs = Number(arg('jobs') ?? process.env.CONFORMANCE_JOBS ?? 1_050);
const faultsMode = arg('faults') ?? process.env.CONFORMANCE_FAULTS ?? 'both';
const faultModes = faultsMode === 'on' ? [true] : faultsMode === 'off' ? [false] : [false, true];
/** --features drain,obliterate: only the features whose names contain one of these (to replay one finding). */
const featureFilter = (arg('features') ?? process.env.CONFORMANCE_FEATURES)?.split(',').map((part) => part.trim().toLowerCase()).filter(Boolean);
const features = featureFilter ? ALL_FEATURES.filter((feature) => featureFilter.some((part) => feature.name.toLowerCase().includes(part))) : undefined;
const nodesArg = arg('nodes');
const nodes = nodesArg === '1' || nodesArg === '2' ? (Number(nodesArg) as 1 | 2) : undefined;
const canary = process.argv.includes('--canary') || process.env.CONFORMANCE_CANARY === '1';
const cluster = process.argv.includes('--cluster') || process.env.CONFORMANCE_CLUSTER === '1';
const verbose = process.argv.includes('--verbose') || process.env.CONFORMANCE_VERBOSE === '1';
const started = Date.now();
const log = (line: string) => verbose && console.log(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${line}`);

const crashes: string[] = [];
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`${signal}: stopping the run's Redis and server processes`);
    void closeOpenWorlds().finally(() => process.exit(130));
  });
}
process.on('unhandledRejection', (reason) => crashes.push(`unhandledRejection: ${reason instanceof Error ? reason.stack : String(reason)}`));

async function main(): Promise<number> {
  if (canary) {
    const outcome = await runCanary({ seed: seeds[0]!, log, ...(cluster ? { cluster } : {}) });
    console.log(formatRun(outcome.result, 2));
    console.log(outcome.caught ? `canary caught: ${outcome.result.misrouted} misrouted statuses with JOBCAST_CANARY=stale-route` : 'canary NOT caught: the suite saw no misrouted status with JOBCAST_CANARY=stale-route');
    console.log(`${outcome.caught ? 1 : 0} passed, ${outcome.caught ? 0 : 1} failed`);
    return outcome.caught ? 0 : 1;
  }
  const results: RunResult[] = [];
  for (const seed of seeds) {
    for (const faults of faultModes) {
      const result = await runSeed({ seed, jobs, faults, log, convergenceTimeoutMs: 120_000, ...(cluster ? { cluster } : {}), ...(features ? { features } : {}), ...(nodes ? { nodes } : {}) });
      results.push(result);
      console.log(formatRun(result));
    }
  }
  const passed = results.reduce((sum, result) => sum + result.passed, 0);
  const failed = results.reduce((sum, result) => sum + result.failed, 0) + crashes.length;
  console.log('');
  console.log(formatTotals(results));
  for (const crash of crashes.slice(0, 5)) console.log(`crash: ${crash.split('\n').slice(0, 3).join(' | ')}`);
  console.log(
    `${results.length} runs, ${results.reduce((sum, result) => sum + result.jobs, 0)} jobs, seeds ${seeds.join(',')}, ` +
      `misrouted ${results.reduce((sum, result) => sum + result.misrouted, 0)}, lost terminal ${results.reduce((sum, result) => sum + result.lostTerminal, 0)}, ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
