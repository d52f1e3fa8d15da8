/** Failing jobs: retries with fixed and exponential backoff, UnrecoverableError, final failures, removeOnComplete/removeOnFail. */
import { numbers, times, type Feature } from './feature.js';

export const retries: Feature = {
  name: 'retries',
  weight: 4,
  run: (world, rng, size) =>
    times(size, 4, () => {
      const attempts = rng.int(2, 4);
      return world.enqueue('retries', world.queues.main, {
        rooms: world.randomRooms(rng),
        // Fails the first attempts, then succeeds (or runs out of attempts when failUntil reaches them).
        plan: { progress: numbers(rng), failUntil: rng.int(1, attempts) },
        opts: {
          attempts,
          backoff: rng.chance(0.5) ? { type: 'fixed', delay: rng.int(20, 200) } : { type: 'exponential', delay: rng.int(20, 100) },
          removeOnFail: rng.chance(0.3),
        },
      });
    }),
};

export const unrecoverable: Feature = {
  name: 'UnrecoverableError',
  weight: 2,
  run: (world, rng, size) =>
    times(size, 4, () =>
      world.enqueue('UnrecoverableError', world.queues.main, {
        rooms: world.randomRooms(rng),
        plan: { progress: numbers(rng), unrecoverable: true },
        opts: { attempts: rng.int(2, 5), backoff: { type: 'fixed', delay: 50 } },
      }),
    ),
};

export const finalFailure: Feature = {
  name: 'final failure',
  weight: 2,
  run: (world, rng, size) =>
    times(size, 4, () =>
      world.enqueue('final failure', world.queues.side, {
        rooms: world.randomRooms(rng),
        plan: { progress: numbers(rng), failUntil: 99 },
        opts: { attempts: rng.int(1, 2), backoff: { type: 'fixed', delay: 50 }, removeOnFail: rng.pick([false, { count: 3 }]) },
      }),
    ),
};

/** Jobs gone from Redis the moment they finish: their final status must still reach the pages. */
export const removeOnFinish: Feature = {
  name: 'removeOnComplete/removeOnFail',
  weight: 4,
  run: (world, rng, size) =>
    times(size, 6, () => {
      const fails = rng.chance(0.3);
      return world.enqueue('removeOnComplete/removeOnFail', world.queues.main, {
        rooms: world.randomRooms(rng),
        plan: fails ? { failUntil: 99 } : { progress: rng.chance(0.5) ? [rng.int(1, 100)] : [] },
        opts: { removeOnComplete: true, removeOnFail: true, attempts: 1 },
      });
    }),
};
