import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createEnqueuer } from '../../server/index.js';

/**
 * Creates `count` waiting jobs, room `bench:<i % rooms>` each, in bulk: routed for jobcast
 * (`routeJob` before the add, with `keyPrefix`), and naming the room in their data for the
 * raw relay, which reads it from the job.
 */
export async function createJobs(redisUrl: string, queue: string, count: number, rooms: number, keyPrefix: string): Promise<string[]> {
  const bull = new Queue(queue, { connection: { url: redisUrl } });
  const routes = createEnqueuer({ redis: redisUrl, keyPrefix });
  const ids: string[] = [];
  for (let start = 0; start < count; start += 1_000) {
    const batch = Array.from({ length: Math.min(1_000, count - start) }, (_, offset) => {
      const index = start + offset;
      const jobId = `j${index}`;
      ids.push(jobId);
      return { name: 'bench', data: { rooms: [`bench:${index % rooms}`] }, opts: { jobId } };
    });
    await Promise.all(batch.map((job) => routes.routeJob(queue, job.opts.jobId, { rooms: job.data.rooms })));
    await bull.addBulk(batch);
  }
  await Promise.all([bull.close(), routes.close()]);
  return ids;
}

/** The room a bench job reports to. */
export const roomOf = (jobId: string, rooms: number) => `bench:${Number(jobId.slice(1)) % rooms}`;

/**
 * Writes what workers finishing jobs write to BullMQ's events stream: for each completion an
 * `active` event about 50 ms before it (as if the job ran that long), then `completed`, at
 * `ratePerSecond` completions. Each completion carries a unique number `n` in its return
 * value; `sent` gets `n` and the time its completion was written.
 */
export async function pushCompletions(args: {
  redis: Redis;
  queue: string;
  jobIds: string[];
  ratePerSecond: number;
  durationMs: number;
  firstN: number;
  sent: (n: number, jobId: string, at: number) => void;
}): Promise<number> {
  const total = Math.round((args.ratePerSecond * args.durationMs) / 1_000);
  const lead = Math.max(1, Math.round(args.ratePerSecond * 0.05));
  const stream = `bull:${args.queue}:events`;
  const jobOf = (n: number) => args.jobIds[n % args.jobIds.length]!;
  const start = now();
  let done = 0;
  let started = 0;
  while (done < total) {
    const due = Math.min(total, Math.floor(((now() - start) * args.ratePerSecond) / 1_000) + 1);
    if (due > done) {
      const pipeline = args.redis.pipeline();
      for (; started < Math.min(total, due + lead); started++) {
        pipeline.xadd(stream, '*', 'event', 'active', 'jobId', jobOf(args.firstN + started), 'prev', 'waiting');
      }
      const at = now();
      for (; done < due; done++) {
        const n = args.firstN + done;
        pipeline.xadd(stream, '*', 'event', 'completed', 'jobId', jobOf(n), 'returnvalue', JSON.stringify({ n }), 'prev', 'active');
        args.sent(n, jobOf(n), at);
      }
      await pipeline.exec();
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return total;
}

/** Wall-clock milliseconds with sub-millisecond resolution (both ends of a latency use it, in one process). */
export const now = () => performance.timeOrigin + performance.now();

/**
 * Milliseconds on the machine's monotonic clock (Linux CLOCK_MONOTONIC, sub-millisecond), the same
 * clock in every process: for a latency whose two ends are in different processes. Each process's
 * `performance.timeOrigin` is read once at its start, so two processes' `now()` can disagree by
 * more than a millisecond (a negative latency in one run).
 */
export const machineNow = () => Number(process.hrtime.bigint()) / 1e6;

/** p-th percentile (0–100) of unsorted numbers. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
