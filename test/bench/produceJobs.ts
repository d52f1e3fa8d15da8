import { Queue } from 'bullmq';
import { SAFE_JOB_DEFAULTS, createEnqueuer } from '../../server/index.js';
import { now } from './load.js';
import type { Mode } from './relay.js';

/** Adds one job numbered `n` to the room it reports to. */
export type AddJob = (n: number, room: string) => Promise<unknown>;

/**
 * What each side's users run to add a job: jobcast's `enqueue` (route recorded, then
 * `queue.add`), or for the relays a plain `queue.add` naming the room in the job's data.
 * Both with jobcast's job defaults, so the workers and BullMQ do the same work.
 */
export function createProducer(mode: Mode, redisUrl: string, queueName: string, keyPrefix: string): { add: AddJob; close(): Promise<void> } {
  if (mode === 'jobcast') {
    const enqueuer = createEnqueuer({ redis: redisUrl, keyPrefix });
    return {
      add: (n, room) => enqueuer.enqueue(queueName, 'bench', { n }, { rooms: [room] }),
      close: () => enqueuer.close(),
    };
  }
  const queue = new Queue(queueName, { connection: { url: redisUrl }, streams: { events: { maxLen: 10_000 } } });
  return {
    add: (n, room) => queue.add('bench', { n, rooms: [room] }, { ...SAFE_JOB_DEFAULTS }),
    close: () => queue.close(),
  };
}

/**
 * Adds jobs `firstN`, `firstN + 1`… at `ratePerSecond` for `durationMs`, without waiting for
 * one add before the next (as many API requests would); job `n` reports to `roomOf(n)`.
 * Resolves once every add has returned, with the rate the adds actually completed at.
 */
export async function produceJobs(args: { add: AddJob; roomOf: (n: number) => string; firstN: number; ratePerSecond: number; durationMs: number }): Promise<{ added: number; failed: number; achievedPerSecond: number }> {
  const total = Math.round((args.ratePerSecond * args.durationMs) / 1_000);
  const pending: Array<Promise<unknown>> = [];
  let failed = 0;
  const start = now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((now() - start) * args.ratePerSecond) / 1_000) + 1);
    for (; sent < due; sent++) {
      const n = args.firstN + sent;
      pending.push(args.add(n, args.roomOf(n)).catch(() => failed++));
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await Promise.all(pending);
  return { added: total - failed, failed, achievedPerSecond: (total / (now() - start)) * 1_000 };
}
