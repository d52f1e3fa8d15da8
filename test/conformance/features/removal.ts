/**
 * Removals: `job.remove()` (one event per job), and the queue-level ones that write no
 * per-job event: `queue.drain()` and `queue.obliterate({ force: true })`, followed by ids
 * reused in the emptied queue. Drain and obliterate run alone on their own queue.
 */
import { waitFor } from '../../support/harness.js';
import type { JobRecord } from '../model.js';
import { numbers, times, type Feature } from './feature.js';

export const jobRemove: Feature = {
  name: 'job.remove()',
  weight: 1.5,
  run: (world, rng, size) =>
    times(size, 3, async () => {
      const record = await world.enqueue('job.remove()', world.queues.side, { rooms: world.randomRooms(rng), opts: { delay: 60_000 } });
      if (!record) return;
      const job = await world.queue(record.queue).getJob(record.jobId);
      if (!job) return;
      await job.remove();
      world.markRemoved(record, 'remove');
    }),
};

export const drain: Feature = {
  name: 'queue.drain()',
  weight: 0.7,
  run: (world, rng, size) =>
    world.exclusive('wipe', async () => {
      const queue = world.queue(world.queues.wipe);
      const kept: Array<JobRecord | undefined> = [];
      const drained: Array<JobRecord | undefined> = [];
      await times(Math.max(2, Math.floor(size / 3)), 3, async () => kept.push(await world.enqueue('queue.drain()', world.queues.wipe, { rooms: world.randomRooms(rng), plan: { progress: numbers(rng) } })));
      await world.finished(kept, 30_000);
      await times(Math.max(2, size - kept.length), 3, async () =>
        drained.push(await world.enqueue('queue.drain()', world.queues.wipe, { rooms: world.randomRooms(rng), opts: { delay: 60_000 } })),
      );
      await uncertainUntilDone(drained, () => queue.drain(true));
      for (const record of drained) if (record) world.markRemoved(record, 'drain');
    }),
};

export const obliterate: Feature = {
  name: 'queue.obliterate()',
  weight: 0.7,
  run: (world, rng, size) =>
    world.exclusive('wipe', async () => {
      const queue = world.queue(world.queues.wipe);
      const count = Math.max(2, Math.floor(size / 3));
      const ids = Array.from({ length: count }, (_, index) => `ob-${rng.int(1, 1_000_000)}-${index + 1}`);
      const before: Array<JobRecord | undefined> = [];
      const pending: Array<JobRecord | undefined> = [];
      await times(count, 3, async (index) => before.push(await world.enqueue('queue.obliterate()', world.queues.wipe, { rooms: world.randomRooms(rng), opts: { jobId: ids[index]! } })));
      await world.finished(before, 30_000);
      await times(count, 3, async () => pending.push(await world.enqueue('queue.obliterate()', world.queues.wipe, { rooms: world.randomRooms(rng), opts: { delay: 60_000 } })));
      const at = Date.now();
      await uncertainUntilDone([...before, ...pending], () => queue.obliterate({ force: true }));
      await queue.resume();
      for (const record of [...before, ...pending]) if (record) world.markRemoved(record, 'obliterate');
      world.markObliterated(world.queues.wipe, at);
      await waitFor(async () => (await queue.getJobCounts('delayed', 'completed')).delayed === 0, 'the queue obliterated', 30_000).catch(() => undefined);
      // The same ids again in the emptied queue, routed elsewhere: a new incarnation each.
      await times(count, 3, async (index) =>
        world.enqueue('queue.obliterate()', world.queues.wipe, { rooms: world.randomRooms(rng), plan: { progress: [rng.int(1, 100)] }, opts: { jobId: ids[index]! } }),
      );
    }),
};

/**
 * Runs a queue-wide removal. Until it returns, the suite cannot tell which of `records` it
 * removed (a Redis Cluster master restarting under it can hold it past the end of the run), and
 * when it throws, it never can: their truth is unknown meanwhile, not a mismatch.
 */
async function uncertainUntilDone(records: Array<JobRecord | undefined>, removal: () => Promise<unknown>): Promise<void> {
  const known = records.filter((record): record is JobRecord => record !== undefined && !record.uncertain);
  for (const record of known) record.uncertain = true;
  await removal();
  for (const record of known) record.uncertain = false;
}
