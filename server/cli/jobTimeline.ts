import { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { StatusEvent } from '../../shared/index.js';
import { parseRoute } from '../ingest/routing.js';
import { createKeys } from '../store/keys.js';
import { formatStatusLine } from './tail.js';

/**
 * `jobcast job <queue> <id>`: one job as an operator sees it (full failure text included,
 * since this runs with Redis access): BullMQ's record, the rooms it reports to, and its
 * timeline as those rooms received it.
 */
export async function describeJob(options: {
  redis: Redis;
  queue: string;
  jobId: string;
  keyPrefix?: string;
  bullPrefix?: string;
}): Promise<{ text: string; found: boolean }> {
  const keys = createKeys(options.keyPrefix ?? 'jobcast', options.bullPrefix ?? 'bull');
  const queue = new Queue(options.queue, { connection: options.redis, prefix: options.bullPrefix ?? 'bull', skipMetasUpdate: true });
  queue.on('error', () => undefined);
  try {
    const lines: string[] = [];
    const job = await Job.fromId(queue, options.jobId);
    const route = parseRoute(await options.redis.hget(keys.job(options.queue, options.jobId), 'route'));
    const rooms: string[] = route?.rooms ?? [];
    if (job) {
      lines.push(`job ${options.queue}/${job.id} "${job.name}": ${await job.getState()}, attempts ${job.attemptsMade}/${job.opts.attempts ?? 1}`);
      if (job.failedReason) lines.push(`failed reason: ${job.failedReason}`);
      if (job.stacktrace?.length) lines.push(`last stack:\n${job.stacktrace.at(-1)}`);
    } else {
      lines.push(`job ${options.queue}/${options.jobId}: not in BullMQ (removed, or never existed)`);
    }
    lines.push(rooms.length > 0 ? `rooms: ${rooms.join(', ')}` : 'rooms: none recorded (add jobs with enqueue, or call routeJob before queue.add): nothing was pushed');
    if (rooms[0]) {
      const members = await options.redis.zrange(keys.roomHistory(rooms[0]), 0, -1);
      const events = members
        .map((member) => JSON.parse(member) as StatusEvent)
        .filter((event) => event.status.queue === options.queue && event.status.jobId === options.jobId);
      lines.push(events.length > 0 ? `timeline in ${rooms[0]}:` : `no events of this job left in ${rooms[0]}'s history`);
      for (const event of events) lines.push(`  ${formatStatusLine(event)}`);
    }
    // Known when BullMQ has it or jobcast recorded where it reports.
    return { text: lines.join('\n'), found: Boolean(job) || rooms.length > 0 };
  } finally {
    await queue.close();
  }
}
