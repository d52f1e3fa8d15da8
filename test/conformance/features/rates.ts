/** Rate limits and self-delays, none of which is a failed attempt: a limited queue, worker.rateLimit() + RateLimitError, job.moveToDelayed() + DelayedError. */
import { numbers, times, type Feature } from './feature.js';

export const limitedQueue: Feature = {
  name: 'rate-limited worker (limiter)',
  weight: 2,
  run: (world, rng, size) =>
    times(size, 4, () => world.enqueue('rate-limited worker (limiter)', world.queues.limited, { rooms: world.randomRooms(rng), plan: { progress: numbers(rng) } })),
};

export const manualRateLimit: Feature = {
  name: 'worker.rateLimit()',
  weight: 1.5,
  run: (world, rng, size) =>
    times(size, 3, () =>
      world.enqueue('worker.rateLimit()', world.queues.limited, {
        rooms: world.randomRooms(rng),
        plan: { progress: numbers(rng), rateLimitOnce: rng.int(100, 400) },
        opts: { attempts: rng.int(1, 2) },
      }),
    ),
};

export const moveToDelayed: Feature = {
  name: 'job.moveToDelayed()',
  weight: 1.5,
  run: (world, rng, size) =>
    times(size, 3, () =>
      world.enqueue('job.moveToDelayed()', world.queues.main, {
        rooms: world.randomRooms(rng),
        plan: { progress: numbers(rng), moveToDelayedOnce: rng.int(100, 600) },
        opts: { attempts: rng.int(1, 2) },
      }),
    ),
};
