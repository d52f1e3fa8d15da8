/**
 * The conformance suite's short seed, inside `npm test`: a few hundred jobs over every
 * BullMQ feature of the workload, with faults, compared with BullMQ's own view; and the
 * canary, which must make the suite fail. The long form is `npm run conformance`.
 * Replay with CONFORMANCE_SEED=<n> (the default is fixed).
 */
import { describe, expect, it } from 'vitest';
import { runCanary } from './canary.js';
import { formatRun } from './report.js';
import { runSeed } from './suite.js';

const seed = Number(process.env.CONFORMANCE_SEED ?? 11);

describe('conformance (short seed)', () => {
  it('every client converges on BullMQ\'s truth for every job, with nothing misrouted', async () => {
    const result = await runSeed({ seed, jobs: 400, faults: true, convergenceTimeoutMs: 60_000 });
    const report = formatRun(result, 5);
    console.log(report);
    expect(result.jobs, 'the workload ran').toBeGreaterThan(300);
    expect(result.misrouted, report).toBe(0);
    expect(result.lostTerminal, report).toBe(0);
    expect(result.failed, report).toBe(0);
    expect(result.passed).toBeGreaterThan(0);
  }, 360_000);

  it('fails when the server plants a route cache that never expires (JOBCAST_CANARY=stale-route)', async () => {
    const { caught, result } = await runCanary({ seed: 3 });
    expect(caught, `the suite saw no misrouted status with the canary on:\n${formatRun(result, 5)}`).toBe(true);
    expect(result.failed).toBeGreaterThan(0);
  }, 180_000);
});
