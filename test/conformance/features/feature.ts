import type { Rng } from '../rng.js';
import type { World } from '../world.js';

/** One BullMQ feature of the workload: a small module that adds about `size` jobs using it. */
export interface Feature {
  name: string;
  /** Relative frequency in the mix. */
  weight: number;
  /** Needs `routeJob` from the enqueuer (skipped, and said so, when it is missing). */
  needsRouteJob?: boolean;
  run(world: World, rng: Rng, size: number): Promise<void>;
}

/** Progress values for a job: a few increasing numbers. */
export const numbers = (rng: Rng): number[] => {
  const count = rng.int(0, 3);
  const values: number[] = [];
  let value = 0;
  for (let index = 0; index < count; index++) values.push((value = Math.min(100, value + rng.int(5, 45))));
  return values;
};

/** Runs `count` adds with at most `parallel` at once. */
export async function times(count: number, parallel: number, add: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await add(next++);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, lane));
}
