import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Keys } from '../store/keys.js';
import { readJobFacts, toJobFacts, type JobFacts } from './jobFacts.js';
import { parseJobRecord, type JobRecord } from './jobRecord.js';
import { parseRoute, schedulerIdOf, type Route } from './routing.js';
import { compareStreamIds, startsIncarnation, subjectOf, toStreamEvent, type StreamEvent } from './streamEvent.js';

/**
 * Everything a batch needs from Redis, read in one MULTI (one round trip, one instant):
 * the job records not cached yet, the recorded routes of jobs that may need binding or checking, each
 * job's BullMQ record, and the events written after the batch (the "tail").
 *
 * Reading the tail at the same instant as the BullMQ records is what makes them usable: a
 * record shows the state after the job's newest event up to that instant, so it is exactly
 * the state after an event of the batch when no later event of the job is in the batch or
 * the tail; and it is the same incarnation when no later event of the job starts a new one.
 */
export interface BatchContext {
  /** The batch's jobs' records: read, or as cached when the read was sent. */
  records: Map<string, JobRecord>;
  versions: Map<string, Record<string, string>>;
  schedulerRoutes: Map<string, Route | undefined>;
  facts: Map<string, JobFacts | undefined>;
  /** True when the BullMQ record read is the incarnation `event` belongs to. */
  isSameIncarnation(jobId: string, event: StreamEvent): boolean;
  /** True when no event of the job after `event` had been written when the records were read. */
  isLastRead(jobId: string, event: StreamEvent): boolean;
  /** The job's next event in the batch or the tail. */
  nextEventOf(jobId: string, event: StreamEvent): StreamEvent | undefined;
  /**
   * The stream's entries after the batch, up to a batch of them, as they were when the records
   * were read: the next batch to ingest (XRANGE after the batch's last id returns what XREAD
   * from it would). Empty when nothing followed, or for a reconciliation's read.
   */
  tail: StreamEvent[];
  /** True when the stream's oldest entry was after the batch's last id at that instant: entries may have been trimmed away unread between the batch and its tail. */
  trimmedAfterBatch: boolean;
}

export async function readBatchContext(args: {
  queue: Queue;
  redis: Redis;
  keys: Keys;
  projection: unknown;
  batchSize: number;
  events: StreamEvent[];
  /** The batch's last stream id; the tail is read after it. Undefined: no tail (a reconciliation's read). */
  lastId: string | undefined;
  cached: ReadonlyMap<string, JobRecord>;
  /** Cached jobs whose recorded routes the batch needs too (a record from before a hole in the stream is checked against them). */
  needsRoutes?: (jobId: string) => boolean;
  /** Jobs to read besides the batch's. */
  jobIds?: string[];
}): Promise<BatchContext> {
  const { queue, keys } = args;
  const starting = new Set(args.events.filter(startsIncarnation).map(subjectOf));
  const jobIds = [...new Set([...args.events.map(subjectOf), ...(args.jobIds ?? [])])].filter((id): id is string => id !== undefined);
  const multi = args.redis.multi();
  const reads: Array<{ jobId: string; kind: 'record' | 'versions' | 'scheduler' | 'facts' }> = [];
  // The cached records are taken now, with the reads: the cache may drop one before the batch is built.
  const records = new Map<string, JobRecord>();
  for (const jobId of jobIds) {
    const cachedRecord = args.cached.get(jobId);
    const cached = cachedRecord !== undefined;
    if (cached) records.set(jobId, cachedRecord);
    else {
      multi.hgetall(keys.job(queue.name, jobId));
      reads.push({ jobId, kind: 'record' });
    }
    if (!cached || starting.has(jobId) || args.needsRoutes?.(jobId)) {
      multi.hgetall(keys.routeVersions(queue.name, jobId));
      reads.push({ jobId, kind: 'versions' });
      const schedulerId = schedulerIdOf(jobId);
      if (schedulerId !== undefined) {
        multi.get(keys.schedulerRoute(queue.name, schedulerId));
        reads.push({ jobId, kind: 'scheduler' });
      }
    }
    readJobFacts(multi, queue.toKey(jobId), args.projection !== undefined);
    reads.push({ jobId, kind: 'facts' });
  }
  if (args.lastId) {
    multi.xrange(queue.keys.events!, `(${args.lastId}`, '+', 'COUNT', args.batchSize);
    multi.xrange(queue.keys.events!, '-', '+', 'COUNT', 1);
  }
  const replies = ((await multi.exec()) ?? []).map(([error, value]) => {
    if (error) throw error;
    return value;
  });

  const context: BatchContext & { tailComplete: boolean } = {
    records,
    versions: new Map(),
    schedulerRoutes: new Map(),
    facts: new Map(),
    tail: [],
    trimmedAfterBatch: false,
    tailComplete: args.lastId !== undefined,
    isSameIncarnation: (jobId, event) => context.tailComplete && !laterEvents(jobId, event).some(startsIncarnation),
    isLastRead: (jobId, event) => context.tailComplete && laterEvents(jobId, event).length === 0,
    nextEventOf: (jobId, event) => laterEvents(jobId, event)[0],
  };
  reads.forEach((read, index) => {
    const value = replies[index];
    if (read.kind === 'record') {
      const record = parseJobRecord(value as Record<string, string>);
      if (record) context.records.set(read.jobId, record);
    } else if (read.kind === 'versions') context.versions.set(read.jobId, value as Record<string, string>);
    else if (read.kind === 'scheduler') context.schedulerRoutes.set(read.jobId, parseRoute(value as string | null));
    else context.facts.set(read.jobId, toJobFacts(value));
  });
  if (args.lastId) {
    const tail = (replies[reads.length] as Array<[string, string[]]>).map(([id, flat]) => toStreamEvent(id, flat));
    context.tail = tail;
    // A full tail may not reach the present: then no record can be proven current.
    context.tailComplete = tail.length < args.batchSize;
    const oldestId = (replies[reads.length + 1] as Array<[string, string[]]>)[0]?.[0];
    context.trimmedAfterBatch = oldestId === undefined || compareStreamIds(oldestId, args.lastId) > 0;
  }

  const all = [...args.events, ...context.tail];
  const byJob = new Map<string, StreamEvent[]>();
  for (const event of all) {
    const jobId = subjectOf(event);
    if (jobId === undefined) continue;
    const list = byJob.get(jobId) ?? [];
    list.push(event);
    byJob.set(jobId, list);
  }
  function laterEvents(jobId: string, event: StreamEvent): StreamEvent[] {
    const list = byJob.get(jobId) ?? [];
    const index = list.indexOf(event);
    return index < 0 ? [] : list.slice(index + 1);
  }
  return context;
}
