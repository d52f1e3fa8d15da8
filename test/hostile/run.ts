/**
 * jobcast hostile-input and fault-injection suite: `npx tsx test/hostile/run.ts`.
 * Seeded (HOSTILE_SEED), loopback only, bounded in time; prints one summary whose last line
 * is `N passed, M failed`. Exits 0 only when every check passed.
 *
 * HOSTILE_SEED=<n>      replay a run (the summary prints the seed it used)
 * HOSTILE_ONLY=<text>   run only the phases whose name contains it ("hostile inputs", "node killed", …)
 * HOSTILE_VERBOSE=1     print each check as it happens, with timings
 * REDIS_URL=<url>       use this Redis for the plain scenarios (the Redis-restart ones start their own)
 */
import { startRedisServer } from '../../scripts/redisServer.js';
import { clientDropsScenario, nodeKilledScenario, slowConsumerScenario } from './faults.js';
import { redisRestartScenario, slowRedisLinkScenario, streamTrimmedScenario, workerCrashScenario } from './faultsRedis.js';
import { hostileInputsPhase } from './inputsPhase.js';
import { createRng, seedFromEnv } from './random.js';
import { describeError, INPUT_KINDS, FAULT_KINDS, Scope, Tally, withTimeout, type Check, type ScenarioContext } from './report.js';

const RUN_BUDGET_MS = 280_000;
// The test apps' express error handler prints every 400 it answers unless NODE_ENV is 'test'.
process.env.NODE_ENV ??= 'test';
const started = Date.now();
const seed = seedFromEnv();
const rng = createRng(seed);
const tally = new Tally();
const checks: Check[] = [];
const verbose = process.env.HOSTILE_VERBOSE === '1';
/** HOSTILE_ONLY=<part of a phase name> runs that phase alone (to replay one failure quickly). */
const only = process.env.HOSTILE_ONLY;
const log = (line: string) => {
  if (verbose) console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);
};
const check = (name: string, ok: boolean, why?: string) => {
  checks.push({ name, ok, ...(ok || why === undefined ? {} : { why }) });
  log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok || !why ? '' : `  (${why})`}`);
};

process.on('uncaughtException', (error) => tally.crash(`uncaughtException: ${error?.stack ?? String(error)}`));
process.on('unhandledRejection', (reason) => tally.crash(`unhandledRejection: ${reason instanceof Error ? reason.stack : String(reason)}`));

const FAULTS: Array<[string, number, (ctx: ScenarioContext) => Promise<void>]> = [
  ['fault: client drops', 80_000, clientDropsScenario],
  ['fault: a server node killed', 90_000, nodeKilledScenario],
  ['fault: redis restart without persistence', 75_000, (ctx) => redisRestartScenario(ctx, false)],
  ['fault: redis restart with appendonly', 75_000, (ctx) => redisRestartScenario(ctx, true)],
  ['fault: events stream trimmed while the server was down', 75_000, streamTrimmedScenario],
  ['fault: a worker crashed mid-job', 90_000, workerCrashScenario],
  ['fault: a slow consumer', 60_000, slowConsumerScenario],
  ['fault: a slow redis link under a late subscriber', 75_000, slowRedisLinkScenario],
];

/** Every scope still open, so the watchdog and signals can stop what the scenarios started. */
const openScopes = new Set<Scope>();
const track = (scope: Scope) => {
  openScopes.add(scope);
  return scope;
};
const closeAll = () => Promise.all([...openScopes].reverse().map((scope) => scope.close()));

async function main(): Promise<void> {
  const runScope = track(new Scope());
  try {
    let redisUrl = process.env.REDIS_URL;
    if (!redisUrl) {
      const redis = await startRedisServer();
      runScope.defer(() => redis.dispose());
      redisUrl = redis.url;
    }
    const base = (name: string, scope: Scope): ScenarioContext => ({ scope, rng: rng.fork(name), tally, redisUrl: redisUrl!, check, log });
    log('phase: hostile inputs');
    const inputsScope = track(new Scope());
    if (!only || 'hostile inputs'.includes(only)) await withTimeout(hostileInputsPhase(base('inputs', inputsScope)), 150_000, 'the hostile-input phase')
      .catch((error: unknown) => check('hostile-input phase completed', false, describeError(error)))
      .finally(() => inputsScope.close());
    for (const [name, timeoutMs, run] of FAULTS) {
      if (only && !name.includes(only)) continue;
      const remaining = RUN_BUDGET_MS - (Date.now() - started);
      if (remaining < 10_000) {
        check(name, false, 'skipped: the run is out of time');
        continue;
      }
      log(`phase: ${name}`);
      const scope = track(new Scope());
      const before = `${tally.lostTerminalStates}/${tally.silentGaps}/${tally.visibleDuplicates}/${tally.crashes}`;
      try {
        await withTimeout(run(base(name, scope)), Math.min(timeoutMs, remaining), name);
        const after = `${tally.lostTerminalStates}/${tally.silentGaps}/${tally.visibleDuplicates}/${tally.crashes}`;
        check(name, after === before, `lost/silent/duplicates/crashes went ${before} → ${after}; see evidence`);
      } catch (error) {
        check(name, false, describeError(error));
      } finally {
        await scope.close();
      }
    }
  } finally {
    await runScope.close();
  }
}

function summary(): number {
  const elapsed = ((Date.now() - started) / 1000).toFixed(1);
  const inputs = INPUT_KINDS.map((kind) => `${kind} ${tally.inputs[kind]}`).join(', ');
  const total = INPUT_KINDS.reduce((sum, kind) => sum + tally.inputs[kind], 0);
  const faults = FAULT_KINDS.map((kind) => `${kind} ${tally.faults[kind]}`).join(', ');
  const finals: Array<[string, number]> = [
    ['0 crashes', tally.crashes],
    ['0 unauthorized joins', tally.unauthorizedJoins],
    ['0 cross-tenant frames', tally.crossTenantFrames],
    ['0 lost terminal states', tally.lostTerminalStates],
    ['0 silent gaps', tally.silentGaps],
    ['0 visible duplicates', tally.visibleDuplicates],
  ];
  for (const [name, count] of finals) checks.push({ name, ok: count === 0, ...(count === 0 ? {} : { why: `${count} counted` }) });
  const failed = checks.filter((entry) => !entry.ok).length;
  const lines = [
    `jobcast hostile suite  seed=${seed}  (replay: HOSTILE_SEED=${seed} npm run test:hostile)`,
    `hostile inputs: ${total} tried (${inputs})`,
    `  crashes ${tally.crashes} · unauthorized joins ${tally.unauthorizedJoins} · cross-tenant frames ${tally.crossTenantFrames}`,
    `faults: ${faults}`,
    `  lost terminal states ${tally.lostTerminalStates} · silent gaps ${tally.silentGaps} · visible duplicates ${tally.visibleDuplicates} · longest convergence ${(tally.longestConvergenceMs / 1000).toFixed(1)} s`,
    `elapsed ${elapsed} s`,
    'checks:',
    ...checks.map((entry) => `  ${entry.ok ? 'ok   ' : 'FAIL '} ${entry.name}${entry.ok || !entry.why ? '' : `  (${entry.why})`}`),
    ...(tally.evidence.length > 0 ? ['evidence:', ...tally.evidence.map((line) => `  - ${line}`)] : []),
    `${checks.length - failed} passed, ${failed} failed`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return failed === 0 ? 0 : 1;
}

const abort = async (why: string) => {
  check('the whole run finished', false, why);
  await withTimeout(closeAll(), 10_000, 'cleanup').catch(() => undefined);
  process.exit(summary());
};
const watchdog = setTimeout(() => void abort(`still running after ${RUN_BUDGET_MS / 1000} s`), RUN_BUDGET_MS);
watchdog.unref();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void abort(`interrupted by ${signal}`));

await main().catch((error: unknown) => check('the suite itself ran', false, describeError(error)));
clearTimeout(watchdog);
process.exit(summary());
