import type { Redis } from 'ioredis';
import { now, percentile, pushCompletions } from './load.js';
import type { ClientPool } from './pools.js';

export interface LatencyFigures {
  p50: number;
  p90: number;
  p99: number;
  events: number;
  lost: number;
  duplicates: number;
  /** Time from the last write until the last expected delivery (how far behind the relay fell). */
  drainMs: number;
}

/**
 * Writes events at `rate` for `durationMs` and measures, for every client in each event's
 * room, the time from the write ("the worker finished") to the client's listener.
 */
export async function measureLatency(args: {
  pool: ClientPool;
  redis: Redis;
  queue: string;
  jobIds: string[];
  rooms: number;
  perRoom: number;
  rate: number;
  durationMs: number;
  firstN: number;
  settleMs?: number;
}): Promise<LatencyFigures> {
  const sentAt = new Map<number, { at: number; room: number }>();
  const total = await pushCompletions({
    ...args,
    ratePerSecond: args.rate,
    sent: (n, jobId, at) => sentAt.set(n, { at, room: Number(jobId.slice(1)) % args.rooms }),
  });
  const lastWrite = now();
  const expected = total * args.perRoom;
  const inRange = (n: number) => n >= args.firstN && n < args.firstN + total;
  const received = () => args.pool.deliveries.perClient.reduce((sum, seen) => sum + [...seen.keys()].filter(inRange).length, 0);
  const deadline = Date.now() + (args.settleMs ?? 15_000);
  while (received() < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  let lastDelivery = lastWrite;
  const latencies: number[] = [];
  let duplicates = 0;
  args.pool.deliveries.perClient.forEach((seen, client) => {
    const room = Math.floor(client / args.perRoom);
    for (const [n, at] of seen) {
      if (n < 0) {
        if (inRange(-n - 1)) duplicates++;
        continue;
      }
      const sent = sentAt.get(n);
      if (!sent || sent.room !== room) continue;
      latencies.push(at - sent.at);
      lastDelivery = Math.max(lastDelivery, at);
    }
  });
  return {
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    events: total,
    lost: expected - latencies.length,
    duplicates,
    drainMs: lastDelivery - lastWrite,
  };
}
