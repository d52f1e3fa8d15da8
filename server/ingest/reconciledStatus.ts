/**
 * What a reconciliation pushes for one job, from BullMQ's state read beside the stream: the
 * job's real state, `unknown` for a job gone without a terminal event, and the adoption of a
 * routed job whose `added` event was trimmed away unread.
 */
import type { JobStatus } from '../../shared/index.js';
import { buildStatus } from './buildStatus.js';
import type { JobFacts } from './jobFacts.js';
import { bindLate, isOtherIncarnation, type JobRecord } from './jobRecord.js';
import type { IngestorOptions } from './ingestor.js';
import { parseRoute, type Route } from './routing.js';
import { compareStreamIds, type StreamEvent } from './streamEvent.js';

/** How old a recorded route must be before a job that never showed up under it is called lost. */
const ADOPT_VANISHED_AFTER_MS = 10_000;

/** What a reconciliation read of one job: its record's facts, BullMQ state, and (for pending routes) its recorded routes. */
export interface JobRead {
  facts: JobFacts | undefined;
  state: string | undefined;
  versions?: Record<string, string>;
}

/** A reconciliation's read: the jobs, and the stream entries not ingested yet (undefined: too many). */
export interface ReconcileRead {
  jobs: Map<string, JobRead>;
  unread: StreamEvent[] | undefined;
}

/**
 * A job whose route was recorded but whose `added` event was never read: its own record
 * proves which route is its (the timestamp enqueue gave it); with the record gone too, the
 * newest route stands for the job that vanished with its events (shown `unknown`).
 */
export function adoptPending(versions: Record<string, string>, facts: JobFacts | undefined): { record: JobRecord; consumed: string[] } | undefined {
  const binding = facts ? bindLate({ versions, facts }) : newestRoute(versions);
  if (!binding.route) return undefined;
  // With no record to prove it, a job is only called lost when its add cannot still be on its
  // way: its route was recorded long enough ago. (Its place in the stream proves nothing: a
  // stream emptied by a trim gets new entries after a route recorded while it was empty.)
  if (!facts && !binding.route.deduplicatedBy && Date.now() - (binding.route.recordedAt ?? 0) < ADOPT_VANISHED_AFTER_MS) return undefined;
  const incarnation = `t${facts?.timestamp ?? binding.route.timestamp ?? 0}`;
  // A job called lost keeps its route: should its add come after all, its `added` still takes it.
  return { record: { incarnation, lastEventId: undefined, route: binding.route, status: undefined }, consumed: facts ? binding.consumed : [] };
}

function newestRoute(versions: Record<string, string>): { route: Route | undefined; consumed: string[] } {
  const at = Object.keys(versions).sort(compareStreamIds);
  const newest = at[at.length - 1];
  return { route: newest === undefined ? undefined : parseRoute(versions[newest]), consumed: at };
}

/** The status a reconciliation pushes, or undefined when the rooms already show the truth. */
export function reconciledStatus(record: JobRecord, read: JobRead, options: IngestorOptions, jobId: string): JobStatus | undefined {
  const previous = record.status;
  if (!read.facts || isOtherIncarnation(record, read.facts)) {
    // Gone without a terminal event (or replaced by another job with its id): lost, never "active" forever.
    if (previous?.state === 'unknown') return undefined;
    const base: JobStatus = previous ?? { jobId, queue: options.queue.name, incarnation: record.incarnation, state: 'unknown', attempt: 1, maxAttempts: record.route?.maxAttempts ?? 1, updatedAt: 0 };
    // A job enqueue saw deduplicated, of which BullMQ wrote no event: say so rather than "lost".
    const dropped = previous === undefined ? record.route?.deduplicatedBy : undefined;
    const lost: JobStatus = dropped
      ? { ...base, state: 'deduplicated', deduplicatedBy: dropped, updatedAt: Date.now() }
      : { ...base, state: 'unknown', updatedAt: Date.now() };
    delete lost.willRetry;
    return lost;
  }
  const event = syntheticEvent(read.state, read.facts, jobId);
  if (!event) return undefined;
  const { status } = buildStatus({
    queue: options.queue.name,
    jobId,
    incarnation: record.incarnation,
    event,
    job: read.facts,
    exact: true,
    previous,
    route: record.route!,
    projection: options.projection,
    now: Date.now(),
    logger: options.logger,
  });
  const same =
    previous !== undefined &&
    status.state === previous.state &&
    status.attempt === previous.attempt &&
    JSON.stringify(status.progress) === JSON.stringify(previous.progress);
  return same ? undefined : status;
}

/** A stand-in stream event for a job's real BullMQ state, so reconciliation reuses the status builder. */
function syntheticEvent(state: string | undefined, facts: JobFacts, jobId: string): StreamEvent | undefined {
  const id = `${Date.now()}-0`;
  const fields: Record<string, string> = { jobId };
  switch (state) {
    case 'completed':
      return { id, name: 'completed', fields };
    case 'failed':
      return { id, name: 'failed', fields: { ...fields, failedReason: facts.failedReason ?? '' } };
    case 'delayed':
      return { id, name: 'delayed', fields: { ...fields, delay: String(facts.timestamp + (facts.opts.delay ?? 0)) } };
    case 'active':
    case 'waiting-children':
    case 'waiting':
      return { id, name: state, fields };
    default:
      return undefined;
  }
}
