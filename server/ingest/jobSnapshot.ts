import { Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/** A job's state and the events stream's position, read at one instant, then the job's record. */
export interface JobSnapshot {
  /** Read just after the state: its attempt counts may already be a little ahead, never behind. */
  job: Job | undefined;
  /** BullMQ's state name, or 'missing' when the job is gone. */
  state: string;
  /** The newest events-stream id at the instant of `state`: every event the state reflects is at or before it. */
  streamPosition: string;
}

/** Sets that place a job, in the order BullMQ's own getState checks them. */
const SORTED_SETS = ['completed', 'failed', 'delayed', 'prioritized', 'waiting-children'] as const;
const LISTS = ['active', 'wait', 'paused'] as const;

/**
 * Reads where a job is and where the stream stands in one MULTI, so the two agree: BullMQ
 * writes each event in the same script as the state change it reports, so the events the
 * read state reflects are exactly those at or before `streamPosition`. Reconciliation relies
 * on it to drop the older events still on their way without ever dropping a newer one
 * (reading the two one after the other lets a job move between the reads). Uses BullMQ's
 * key layout for the state; the record itself is read with `Job.fromId` right after.
 */
export async function readJobSnapshot(redis: Redis, queue: Queue, jobId: string): Promise<JobSnapshot> {
  const keys = queue.keys;
  const multi = redis.multi().exists(queue.toKey(jobId));
  for (const set of SORTED_SETS) multi.zscore(keys[set]!, jobId);
  for (const list of LISTS) multi.lpos(keys[list]!, jobId);
  multi.xrevrange(keys.events!, '+', '-', 'COUNT', 1).time();
  const replies = ((await multi.exec()) ?? []).map(([error, value]) => {
    if (error) throw error;
    return value;
  });
  const exists = replies[0] === 1;
  const placed = [...SORTED_SETS, ...LISTS].find((_, index) => replies[index + 1] !== null && replies[index + 1] !== undefined);
  const newest = replies[replies.length - 2] as Array<[string, string[]]>;
  const [seconds, micros] = (replies[replies.length - 1] as [string, string]).map(Number) as [number, number];
  const state = !exists ? 'missing' : placed === 'wait' || placed === 'paused' || placed === 'prioritized' ? 'waiting' : (placed ?? 'unknown');
  // An empty stream (trimmed away) has no newest entry: Redis's clock places the read instead,
  // as stream ids are that clock's milliseconds.
  const streamPosition = newest[0]?.[0] ?? `${seconds * 1_000 + Math.floor(micros / 1_000)}-0`;
  return { job: exists ? await Job.fromId(queue, jobId) : undefined, state, streamPosition };
}
