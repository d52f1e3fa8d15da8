/**
 * Faults, chosen by the seed. Server kills, stream trims and client drops happen while a round
 * of the workload runs; Redis restarts happen between rounds (an add in flight when Redis goes
 * away has no knowable outcome).
 */
import type { Rng } from './rng.js';
import { sleep, type World } from './world.js';

export const DURING_ROUND = ['server SIGKILL + restart', 'events stream trimmed (XTRIM MAXLEN 0) while servers were down', 'client disconnect + reconnect'] as const;
export const BETWEEN_ROUNDS = ['redis restart (persistence)', 'redis restart (data lost)'] as const;
export type FaultName = (typeof DURING_ROUND)[number] | (typeof BETWEEN_ROUNDS)[number];

export const isBetweenRounds = (fault: FaultName) => (BETWEEN_ROUNDS as readonly string[]).includes(fault);

export interface FaultHooks {
  /** Just before Redis loses its data: the suite keeps what each page shows. */
  beforeWipe(at: number): void;
}

export async function injectFault(world: World, fault: FaultName, rng: Rng, hooks: FaultHooks): Promise<void> {
  const started = Date.now();
  switch (fault) {
    case 'server SIGKILL + restart': {
      const index = rng.int(0, world.nodes.length - 1);
      await world.killNode(index);
      await sleep(rng.int(200, 2_500));
      await world.startNode(index);
      break;
    }
    case 'events stream trimmed (XTRIM MAXLEN 0) while servers were down': {
      await Promise.all(world.nodes.map((_, index) => world.killNode(index)));
      await sleep(rng.int(300, 1_500));
      for (const queue of Object.values(world.queues)) await world.admin.xtrim(world.bullKey(queue, 'events'), 'MAXLEN', 0);
      world.markEventsTrimmed(Date.now());
      await Promise.all(world.nodes.map((_, index) => world.startNode(index)));
      break;
    }
    case 'client disconnect + reconnect': {
      const client = world.client('flaky');
      client.disconnect();
      await sleep(rng.int(200, 3_000));
      client.connect();
      break;
    }
    case 'redis restart (persistence)':
      await world.restartRedis();
      break;
    case 'redis restart (data lost)':
      const at = Date.now();
      hooks.beforeWipe(at);
      await world.wipeRestart(at);
      break;
  }
  world.journal.push(`fault: ${fault} (${Date.now() - started} ms)`);
}
