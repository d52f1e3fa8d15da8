/** Stalled jobs: a worker process takes jobs and is SIGKILLed mid-job; BullMQ's stall check hands them to another worker. */
import { waitFor } from '../../support/harness.js';
import type { JobRecord } from '../model.js';
import { startHangingWorker } from '../processes.js';
import type { World } from '../world.js';
import { numbers, times, type Feature } from './feature.js';

const killedIn = new WeakSet<World>();

export const stalled: Feature = {
  name: 'stalled (worker SIGKILLed)',
  weight: 1,
  run: async (world, rng, size) => {
    const feature = 'stalled (worker SIGKILLed)';
    const add = async () => world.enqueue(feature, world.queues.stall, { rooms: world.randomRooms(rng), plan: { progress: numbers(rng) }, opts: { attempts: 2 } });
    if (killedIn.has(world)) {
      await times(size, 3, add);
      return;
    }
    killedIn.add(world);
    const doomed = await startHangingWorker(world.backend.childEnv(), world.queues.stall);
    try {
      const records: Array<JobRecord | undefined> = [];
      await times(Math.max(2, size), 3, async () => records.push(await add()));
      // The hanging worker runs 4 at once: wait for those to be taken, then kill it mid-job.
      await waitFor(() => doomed.lines.filter((line) => line.startsWith('active ')).length >= Math.min(4, records.length), 'the doomed worker to take jobs', 30_000).catch(() => undefined);
      world.journal.push(`${feature}: SIGKILLed a worker holding ${doomed.lines.filter((line) => line.startsWith('active ')).length} jobs`);
    } finally {
      await doomed.kill();
      world.startStallWorker();
    }
  },
};
