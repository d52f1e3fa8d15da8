/** BullMQ deduplication: simple (until the job finishes), ttl, and debounce (ttl + extend + replace of a delayed job). */
import type { JobRecord } from '../model.js';
import { sleep } from '../world.js';
import { times, type Feature } from './feature.js';

let dedupIds = 0;

export const dedupSimple: Feature = {
  name: 'deduplication (simple)',
  weight: 1.5,
  run: (world, rng, size) =>
    times(Math.max(1, Math.floor(size / 3)), 2, async () => {
      const id = `simple-${++dedupIds}`;
      const rooms = world.randomRooms(rng);
      // Delayed, so it is still there when the duplicates arrive.
      await world.enqueue('deduplication (simple)', world.queues.main, { rooms, opts: { delay: rng.int(300, 800), deduplication: { id } } });
      for (let index = rng.int(1, 2); index > 0; index--) {
        await world.enqueue('deduplication (simple)', world.queues.main, { rooms: rng.chance(0.5) ? rooms : world.randomRooms(rng), opts: { deduplication: { id } } });
      }
    }),
};

export const dedupTtl: Feature = {
  name: 'deduplication (ttl)',
  weight: 1.5,
  run: (world, rng, size) =>
    times(Math.max(1, Math.floor(size / 3)), 2, async () => {
      const id = `ttl-${++dedupIds}`;
      const rooms = world.randomRooms(rng);
      await world.enqueue('deduplication (ttl)', world.queues.main, { rooms, plan: { workMs: 30 }, opts: { deduplication: { id, ttl: 2_000 } } });
      for (let index = rng.int(1, 2); index > 0; index--) {
        await world.enqueue('deduplication (ttl)', world.queues.main, { rooms: world.randomRooms(rng), opts: { deduplication: { id, ttl: 2_000 } } });
      }
    }),
};

/** Debounce: each add replaces the previous one while it is still delayed; the last one runs. */
export const debounce: Feature = {
  name: 'deduplication (debounce)',
  weight: 1.5,
  run: (world, rng, size) =>
    times(Math.max(1, Math.floor(size / 3)), 2, async () => {
      const id = `debounce-${++dedupIds}`;
      let previous: JobRecord | undefined;
      for (let index = rng.int(2, 4); index > 0; index--) {
        const record = await world.enqueue('deduplication (debounce)', world.queues.main, {
          rooms: world.randomRooms(rng),
          plan: { progress: [100] },
          opts: { delay: 600, deduplication: { id, ttl: 1_500, extend: true, replace: true } },
        });
        // An add that was not dropped replaced the previous job if it was still delayed (finishing wins at the end).
        if (record && !record.deduplicatedBy && previous && !previous.deduplicatedBy) world.markRemoved(previous, 'debounce');
        if (record && !record.deduplicatedBy) previous = record;
        await sleep(rng.int(20, 120));
      }
    }),
};
