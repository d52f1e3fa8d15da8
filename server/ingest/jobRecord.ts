import { isTerminalStatus, type JobStatus } from '../../shared/index.js';
import type { JobFacts } from './jobFacts.js';
import { parseRoute, pickRoute, schedulerIdOf, type Route } from './routing.js';
import { compareStreamIds } from './streamEvent.js';

/**
 * What the ingest knows of one job id's current incarnation, kept in Redis beside the rooms
 * (`keys.job`) and cached by the node that holds the queue's lease (the only writer).
 */
export interface JobRecord {
  /** The incarnation: the stream id of the event that started it, or `t<timestamp>` when that event was not read. */
  incarnation: string;
  /** The last stream event ingested for this id. */
  lastEventId: string | undefined;
  /** Undefined when no route was recorded for this incarnation: its events go nowhere and are counted. */
  route: Route | undefined;
  /** The last status its rooms received. */
  status: JobStatus | undefined;
}

/** True when the record's job has finished (its last status is terminal). */
export const isFinished = (record: JobRecord | undefined): boolean => record?.status !== undefined && isTerminalStatus(record.status);

/** A record from its Redis hash (HGETALL), or undefined when there is none. */
export function parseJobRecord(hash: Record<string, string>): JobRecord | undefined {
  if (!hash.inc) return undefined;
  let status: JobStatus | undefined;
  try {
    status = hash.status ? (JSON.parse(hash.status) as JobStatus) : undefined;
  } catch {
    status = undefined;
  }
  return { incarnation: hash.inc, lastEventId: hash.ev || undefined, route: parseRoute(hash.route), status };
}

/** Where an incarnation's route comes from, and which recorded versions it uses up. */
export interface Binding {
  route: Route | undefined;
  consumed: string[];
}

/**
 * The route of an incarnation that started with the stream event `startedAt`: the newest
 * route recorded for its id before that event, else its job scheduler's route.
 */
export function bindAtStart(args: { jobId: string; startedAt: string; versions: Record<string, string>; schedulerRoute: Route | undefined }): Binding {
  const picked = pickRoute(args.versions, args.startedAt);
  if (picked.route) return picked;
  return { route: schedulerIdOf(args.jobId) ? args.schedulerRoute : undefined, consumed: picked.consumed };
}

/**
 * The route of an incarnation whose start was not read (the stream was trimmed, or it began
 * before this deployment first read the queue). A route `enqueue` recorded names the job's
 * BullMQ timestamp: only the record with that timestamp is its job. A route `routeJob`
 * recorded names none: it takes the rule `bindAtStart` applies in stream order (the newest
 * route recorded before the job's add), with the clock of the app that recorded the route and
 * added the job (`recordedAt` and the job's `timestamp`) standing in for the stream order.
 */
export function bindLate(args: { versions: Record<string, string>; facts: JobFacts | undefined }): Binding {
  const { versions, facts } = args;
  if (!facts) return { route: undefined, consumed: [] };
  const routes = Object.entries(versions)
    .map(([at, text]) => ({ at, route: parseRoute(text) }))
    .sort((a, b) => compareStreamIds(a.at, b.at));
  const exact = routes.find(({ route }) => route?.timestamp === facts.timestamp);
  if (exact) return { route: exact.route, consumed: [exact.at] };
  const before = routes.filter(({ route }) => route && route.timestamp === undefined && route.recordedAt !== undefined && route.recordedAt <= facts.timestamp);
  const newest = before[before.length - 1];
  if (!newest) return { route: undefined, consumed: [] };
  // Like `pickRoute`: it and every route recorded before it are used up.
  return { route: newest.route, consumed: routes.filter(({ at }) => compareStreamIds(at, newest.at) <= 0).map(({ at }) => at) };
}

/**
 * True when the job record read (`facts`) belongs to another incarnation than `record`:
 * the route carries the timestamp its enqueue gave the job, and BullMQ keeps it in the record.
 */
export const isOtherIncarnation = (record: JobRecord, facts: JobFacts | undefined): boolean =>
  facts !== undefined && record.route?.timestamp !== undefined && record.route.timestamp !== facts.timestamp;

/**
 * The recorded routes that are not `record`'s own: each was recorded after the record's job
 * started (the routes before it were used up when it was bound), for a later job with its id
 * whose `added` event has not been read.
 */
export function otherRoutes(record: JobRecord | undefined, versions: Record<string, string>): Record<string, string> {
  const own = record?.route;
  if (!own) return versions;
  const isOwn = (text: string) => {
    const route = parseRoute(text);
    return route !== undefined && route.recordedAt === own.recordedAt && route.timestamp === own.timestamp && route.rooms.join() === own.rooms.join();
  };
  return Object.fromEntries(Object.entries(versions).filter(([, text]) => !isOwn(text)));
}
