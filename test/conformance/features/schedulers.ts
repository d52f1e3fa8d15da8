/**
 * Job schedulers (every / cron). BullMQ creates their jobs itself, with ids no caller knows in
 * advance: routed with `routeScheduler` they reach the scheduler's rooms; with rooms only in
 * their data (the plain way, not routing by design) none of their statuses may appear anywhere.
 */
import { sleep } from '../world.js';
import type { Feature } from './feature.js';

let schedulers = 0;

export const scheduler: Feature = {
  name: 'job scheduler (every/cron)',
  weight: 0.7,
  run: async (world, rng) => {
    const feature = 'job scheduler (every/cron)';
    const id = `sched-${++schedulers}`;
    const tag = world.nextTag(feature);
    const queue = world.queue(world.queues.side);
    const routed = world.routeScheduler !== undefined && rng.chance(0.6);
    const rooms = routed ? world.randomRooms(rng) : [];
    // One record for the scheduler: its jobs carry its tag; each one a worker finishes becomes a record too.
    world.register({ tag, feature, queue: world.queues.side, jobId: `scheduler:${id}`, rooms, via: 'scheduler' });
    if (routed) await world.routeScheduler!(world.queues.side, id, { rooms });
    const repeat = rng.chance(0.5) ? { every: rng.int(200, 500) } : { pattern: '* * * * * *' };
    try {
      await queue.upsertJobScheduler(id, repeat, { name: feature, data: { tag, rooms: world.randomRooms(rng), plan: { progress: [50] } } });
      await sleep(rng.int(1_500, 3_000));
    } finally {
      await queue.removeJobScheduler(id).catch(() => undefined);
    }
  },
};
