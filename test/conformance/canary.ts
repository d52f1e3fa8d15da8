/**
 * The canary: the same suite against servers started with JOBCAST_CANARY=stale-route (a route
 * cache that never expires). Ids reused after removal and after obliterate must then show up
 * in rooms they were not routed to, so the suite must fail with misrouted > 0.
 */
import { plainJobs } from './features/basic.js';
import { customIdReuse, sameIdTwoQueues } from './features/identity.js';
import { obliterate } from './features/removal.js';
import { runSeed, type RunResult } from './suite.js';

export const CANARY = 'stale-route';

export async function runCanary(options: { seed: number; cluster?: boolean; log?: (line: string) => void }): Promise<{ caught: boolean; result: RunResult }> {
  const result = await runSeed({
    seed: options.seed,
    jobs: 60,
    faults: false,
    nodes: 1,
    features: [customIdReuse, obliterate, sameIdTwoQueues, plainJobs],
    canary: CANARY,
    ...(options.cluster ? { cluster: true } : {}),
    // Only the misrouted count matters here; no need to wait long for pages that will not converge.
    convergenceTimeoutMs: 15_000,
    ...(options.log ? { log: options.log } : {}),
  });
  return { caught: result.misrouted > 0, result };
}
