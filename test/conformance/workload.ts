/** The mix: every feature module, and the seeded plan that turns a seed and a size into rounds of feature runs and faults. */
import { burst, delays, parked, plainJobs, priorities, progressObjects } from './features/basic.js';
import { debounce, dedupSimple, dedupTtl } from './features/dedup.js';
import { finalFailure, removeOnFinish, retries, unrecoverable } from './features/failures.js';
import type { Feature } from './features/feature.js';
import { flowFailParent, flowIgnoreDependency, flowSuccess } from './features/flows.js';
import { customIdReuse, routedAdd, sameIdTwoQueues, unroutedAdd } from './features/identity.js';
import { limitedQueue, manualRateLimit, moveToDelayed } from './features/rates.js';
import { drain, jobRemove, obliterate } from './features/removal.js';
import { scheduler } from './features/schedulers.js';
import { stalled } from './features/stalled.js';
import { BETWEEN_ROUNDS, DURING_ROUND, type FaultName } from './faults.js';
import type { Rng } from './rng.js';

export const ALL_FEATURES: readonly Feature[] = [
  plainJobs,
  progressObjects,
  delays,
  priorities,
  burst,
  parked,
  retries,
  unrecoverable,
  finalFailure,
  removeOnFinish,
  dedupSimple,
  dedupTtl,
  debounce,
  jobRemove,
  drain,
  obliterate,
  flowSuccess,
  flowFailParent,
  flowIgnoreDependency,
  scheduler,
  limitedQueue,
  manualRateLimit,
  moveToDelayed,
  stalled,
  customIdReuse,
  sameIdTwoQueues,
  routedAdd,
  unroutedAdd,
];

export interface Invocation {
  feature: Feature;
  size: number;
  label: string;
}

export interface Round {
  invocations: Invocation[];
  /** Faults started while the round runs, each after `delayMs`. */
  during: Array<{ fault: FaultName; delayMs: number }>;
  /** Faults after the round's adds returned. */
  after: FaultName[];
  /** The late client subscribes when this round starts. */
  lateClientJoins: boolean;
}

export interface PlanOptions {
  jobs: number;
  faults: boolean;
  features: readonly Feature[];
}

/** The same seed and options always give the same plan. */
export function planWorkload(rng: Rng, options: PlanOptions): Round[] {
  const invocations: Invocation[] = [];
  const weights = options.features.map((feature) => [feature, feature.weight] as const);
  // Every feature once, then a weighted mix up to the size.
  let planned = 0;
  for (const feature of options.features) {
    const size = rng.int(2, 6);
    invocations.push({ feature, size, label: `${feature.name}#${invocations.length}` });
    planned += size;
  }
  while (planned < options.jobs) {
    const feature = rng.weighted(weights);
    const size = rng.int(3, 12);
    invocations.push({ feature, size, label: `${feature.name}#${invocations.length}` });
    planned += size;
  }
  // Shuffle (Fisher–Yates), so the features mix within rounds.
  for (let index = invocations.length - 1; index > 0; index--) {
    const other = rng.int(0, index);
    [invocations[index], invocations[other]] = [invocations[other]!, invocations[index]!];
  }
  const roundCount = Math.max(3, Math.min(10, Math.ceil(options.jobs / 150)));
  const rounds: Round[] = Array.from({ length: roundCount }, (_, index) => ({ invocations: [], during: [], after: [], lateClientJoins: index === Math.floor(roundCount / 2) }));
  invocations.forEach((invocation, index) => rounds[index % roundCount]!.invocations.push(invocation));
  if (!options.faults) return rounds;
  // Every fault at least once (as the rounds allow), then more at random.
  const kinds: FaultName[] = [...DURING_ROUND, ...BETWEEN_ROUNDS];
  for (let index = kinds.length - 1; index > 0; index--) {
    const other = rng.int(0, index);
    [kinds[index], kinds[other]] = [kinds[other]!, kinds[index]!];
  }
  // Redis restarts go after a round that is not the last, so work follows them too.
  kinds.forEach((fault, index) => place(rounds, index, fault, rng));
  rounds.forEach((_, index) => {
    if (rng.chance(0.4)) place(rounds, index, 'client disconnect + reconnect', rng);
    if (rng.chance(0.2)) place(rounds, index, rng.pick(DURING_ROUND), rng);
  });
  return rounds;
}

function place(rounds: Round[], index: number, fault: FaultName, rng: Rng): void {
  if ((BETWEEN_ROUNDS as readonly string[]).includes(fault)) rounds[index % (rounds.length - 1)]!.after.push(fault);
  else rounds[index % rounds.length]!.during.push({ fault, delayMs: rng.int(100, 2_000) });
}
