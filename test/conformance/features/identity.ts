/**
 * Job identity and routing: custom ids reused after removal (routed elsewhere each time), the
 * same id in two queues, routeJob followed by a plain queue.add, and plain queue.add with
 * rooms in its data, which is not routed by design and must appear on no page.
 */
import type { JobRecord } from '../model.js';
import { numbers, times, type Feature } from './feature.js';

let ids = 0;

export const customIdReuse: Feature = {
  name: 'custom id reused after removal',
  weight: 2,
  run: (world, rng, size) =>
    times(Math.max(1, Math.floor(size / 2)), 3, async () => {
      const jobId = `reuse-${++ids}`;
      const queue = world.queues.main;
      let previous: JobRecord | undefined;
      for (let incarnation = rng.int(2, 3); incarnation > 0; incarnation--) {
        // Each incarnation goes to other rooms than the one before it, so a stale route shows.
        let rooms = world.randomRooms(rng);
        while (previous && rooms.some((room) => previous!.rooms.includes(room))) rooms = world.randomRooms(rng);
        const fails = rng.chance(0.25);
        const record = await world.enqueue('custom id reused after removal', queue, {
          rooms,
          plan: fails ? { failUntil: 99 } : { progress: numbers(rng) },
          opts: { jobId, removeOnComplete: true, removeOnFail: true },
        });
        if (!record || !(await world.finished([record], 60_000))) return; // the id is still taken: stop here
        previous = record;
      }
    }),
};

export const sameIdTwoQueues: Feature = {
  name: 'same id in two queues',
  weight: 1.5,
  run: (world, rng, size) =>
    times(Math.max(1, Math.floor(size / 2)), 3, async () => {
      const jobId = `twin-${++ids}`;
      const rooms = world.randomRooms(rng);
      const failing = rng.int(0, 2); // 0: main fails, 1: side fails, 2: neither
      await Promise.all(
        [world.queues.main, world.queues.side].map((queue, index) =>
          world.enqueue('same id in two queues', queue, {
            rooms: rng.chance(0.7) ? rooms : world.randomRooms(rng),
            plan: failing === index ? { failUntil: 99 } : { progress: numbers(rng) },
            opts: { jobId },
          }),
        ),
      );
    }),
};

export const routedAdd: Feature = {
  name: 'routeJob + queue.add',
  weight: 2,
  needsRouteJob: true,
  run: (world, rng, size) =>
    times(size, 4, () =>
      world.routeAndAdd('routeJob + queue.add', rng.chance(0.7) ? world.queues.main : world.queues.side, {
        jobId: `routed-${++ids}`,
        rooms: world.randomRooms(rng),
        plan: { progress: numbers(rng), ...(rng.chance(0.2) ? { failUntil: 1 } : {}) },
        opts: { attempts: 2, backoff: { type: 'fixed', delay: 50 }, removeOnComplete: rng.chance(0.5) },
      }),
    ),
};

export const unroutedAdd: Feature = {
  name: 'plain queue.add (unrouted)',
  weight: 1,
  run: (world, rng, size) =>
    times(size, 4, () => world.plainAdd('plain queue.add (unrouted)', world.queues.main, { rooms: world.randomRooms(rng), plan: { progress: numbers(rng) }, opts: { removeOnComplete: rng.chance(0.5) } })),
};
