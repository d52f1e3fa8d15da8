/** Plain jobs and their options: progress numbers and objects, delays, priorities, bursts for concurrency, parked jobs. */
import { numbers, times, type Feature } from './feature.js';

export const plainJobs: Feature = {
  name: 'plain',
  weight: 6,
  run: (world, rng, size) =>
    times(size, 4, () =>
      world.enqueue('plain', rng.chance(0.8) ? world.queues.main : world.queues.side, {
        rooms: world.randomRooms(rng),
        plan: { progress: numbers(rng), workMs: rng.int(0, 20) },
        opts: { removeOnComplete: rng.pick([false, true, { count: 5 }]) },
      }),
    ),
};

export const progressObjects: Feature = {
  name: 'progress objects',
  weight: 3,
  run: (world, rng, size) =>
    times(size, 4, () =>
      world.enqueue('progress objects', world.queues.main, {
        rooms: world.randomRooms(rng),
        plan: {
          progress: Array.from({ length: rng.int(1, 3) }, (_, index) => ({ stage: `s${index + 1}`, done: rng.int(0, 100), total: 100 })),
          workMs: rng.int(0, 15),
        },
      }),
    ),
};

export const delays: Feature = {
  name: 'delayed',
  weight: 3,
  run: (world, rng, size) =>
    times(size, 4, () =>
      world.enqueue('delayed', world.queues.main, {
        rooms: world.randomRooms(rng),
        plan: { progress: numbers(rng) },
        opts: { delay: rng.int(100, 1_500) },
      }),
    ),
};

export const priorities: Feature = {
  name: 'priorities',
  weight: 3,
  run: (world, rng, size) =>
    times(size, 4, () =>
      world.enqueue('priorities', world.queues.main, {
        rooms: world.randomRooms(rng),
        plan: { progress: numbers(rng), workMs: rng.int(0, 10) },
        opts: { priority: rng.int(1, 20) },
      }),
    ),
};

/** Many short jobs at once, for the two main workers' concurrency. */
export const burst: Feature = {
  name: 'concurrency burst',
  weight: 2,
  run: (world, rng, size) =>
    times(size, 16, () =>
      world.enqueue('concurrency burst', world.queues.main, {
        rooms: world.randomRooms(rng),
        plan: { progress: [50], workMs: rng.int(20, 80) },
        opts: { removeOnComplete: rng.chance(0.5) },
      }),
    ),
};

/** Jobs delayed past the end of the run: pages must show them delayed, not lost. */
export const parked: Feature = {
  name: 'parked (long delay)',
  weight: 0.5,
  run: (world, rng, size) =>
    times(Math.min(size, 3), 2, async () => {
      const record = await world.enqueue('parked (long delay)', world.queues.side, { rooms: world.randomRooms(rng), opts: { delay: 3_600_000 } });
      if (record) record.parked = true;
    }),
};
