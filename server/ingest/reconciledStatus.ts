/**
 * What a reconciliation pushes for one job, from BullMQ's state read beside the stream: the
 * job's real state, `unknown` for a job gone without a terminal event, and the adoption of a
 * routed job whose `added` event was trimmed away unread.
 */
import { isTerminalStatus, type JobStatus } from '../../shared/index.js';
import type { AppendInput, EventBody, RoomStore } from '../store/roomStore.js';
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
  /** For a job of a routed job scheduler whose events were trimmed unread: the scheduler's route. */
  schedulerRoute?: Route;
  /** For a job a subscriber asked about: the rooms that showed it unfinished, and which incarnation. */
  sightings?: Sighting[];
}

/** A room that showed a subscriber an incarnation of a job unfinished. */
export interface Sighting {
  room: string;
  incarnation: string;
}

/** A reconciliation's read: the jobs, and the stream entries not ingested yet (undefined: too many). */
export interface ReconcileRead {
  jobs: Map<string, JobRead>;
  unread: StreamEvent[] | undefined;
}

/**
 * A job whose route was recorded but whose `added` event was never read: its own record
 * proves which route is its (bindLate). With the record gone too, nothing is left to tell but
 * the routes: each stands for an incarnation that vanished with its events, shown `unknown`
 * in its rooms, oldest first, so a room shared by two shows the newest.
 */
export function adoptPending(
  versions: Record<string, string>,
  facts: JobFacts | undefined,
  /** True when a later job with the id proves these routes' jobs gone, however recent. */
  provenGone = false,
): Array<{ record: JobRecord; consumed: string[] }> {
  if (facts) {
    const binding = bindLate({ versions, facts });
    return binding.route ? [{ record: adopted(`t${facts.timestamp}`, binding.route), consumed: binding.consumed }] : [];
  }
  const routes = Object.keys(versions)
    .sort(compareStreamIds)
    .flatMap((at) => {
      const route = parseRoute(versions[at]);
      return route ? [{ at, route }] : [];
    });
  // With no record to prove it, a job is only called lost when its add cannot still be on its
  // way: every route was recorded long enough ago. (Its place in the stream proves nothing: a
  // stream emptied by a trim gets new entries after a route recorded while it was empty.)
  const recent = ({ route }: { route: Route }) => !route.deduplicatedBy && Date.now() - (route.recordedAt ?? 0) < ADOPT_VANISHED_AFTER_MS;
  if (!provenGone && routes.some(recent)) return [];
  // A job called lost keeps its route: should its add come after all, its `added` still takes it.
  return routes.map(({ at, route }) => ({ record: adopted(route.timestamp === undefined ? `r${at}` : `t${route.timestamp}`, route), consumed: [] }));
}

const adopted = (incarnation: string, route: Route): JobRecord => ({ incarnation, lastEventId: undefined, route, status: undefined });

/**
 * A job whose rooms only its sightings still name: each incarnation that a sighted room still
 * shows unfinished (a room may have shown it finish since), with those rooms and the newest
 * status they show, for a reconciliation to show it lost there. Only the ingesting node writes
 * the job to its rooms, in its read loop, so what this reads stays until that loop writes again.
 */
export async function lostWhereSeen(store: Pick<RoomStore, 'lastEventOf'>, queue: string, jobId: string, sightings: Sighting[]): Promise<Array<{ record: JobRecord; consumed: string[] }>> {
  const shown = await Promise.all(sightings.map(({ room }) => store.lastEventOf(room, queue, jobId)));
  const byIncarnation = new Map<string, { rooms: string[]; status: JobStatus }>();
  sightings.forEach(({ room, incarnation }, index) => {
    const status = shown[index]?.status;
    if (!status || status.incarnation !== incarnation || isTerminalStatus(status)) return;
    const seen = byIncarnation.get(incarnation);
    if (!seen) byIncarnation.set(status.incarnation, { rooms: [room], status });
    else {
      seen.rooms.push(room);
      if (status.updatedAt > seen.status.updatedAt) seen.status = status;
    }
  });
  return [...byIncarnation].map(([incarnation, { rooms, status }]) => ({ record: { incarnation, lastEventId: undefined, route: { rooms }, status }, consumed: [] }));
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

/** The write that shows an incarnation lost in its rooms, when they last saw it unfinished. */
export function lostStatus(record: JobRecord, queue: string, jobId: string): AppendInput | undefined {
  if (!record.route || !record.status || isTerminalStatus(record.status)) return undefined;
  const status: JobStatus = { ...record.status, state: 'unknown', updatedAt: Date.now() };
  delete status.willRetry;
  const body: EventBody = { event: 'reconciled', status, at: Date.now(), reason: 'vanished' };
  return { queue, jobId, eventId: undefined, incarnation: record.incarnation, route: record.route, body, consumedRoutes: [] };
}
