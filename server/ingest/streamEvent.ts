import { LifecycleEventSchema } from '../../shared/index.js';

/** One entry of BullMQ's events stream, as read. */
export interface StreamEvent {
  id: string;
  name: string;
  fields: Record<string, string>;
}

/**
 * BullMQ events about one job that jobcast reads: every lifecycle event but its own
 * (`retrying` is derived from `delayed`/`waiting`, `reconciled` from BullMQ's state, `warned` from the worker watch).
 * `retries-exhausted` is read (it carries the final attempt count) but never pushed: the
 * `failed` before it is the final failure. Queue-wide events (drained, paused…) are not pushed.
 */
export const JOB_EVENTS: ReadonlySet<string> = new Set(
  LifecycleEventSchema.options.filter((event) => event !== 'retrying' && event !== 'reconciled' && event !== 'warned'),
);

/**
 * The job an event is about. For `deduplicated`, BullMQ writes the existing job as `jobId`
 * and the dropped one as `deduplicatedJobId`; the dropped one is what its caller watches.
 */
export function subjectOf(event: StreamEvent): string | undefined {
  if (!JOB_EVENTS.has(event.name)) return undefined;
  return event.name === 'deduplicated' ? (event.fields.deduplicatedJobId ?? event.fields.jobId) : event.fields.jobId;
}

/** Events that start a new incarnation of their job id: the job did not exist before them. */
export const startsIncarnation = (event: StreamEvent): boolean => event.name === 'added' || event.name === 'deduplicated';

/** Orders two stream ids ("ms-seq") numerically. */
export function compareStreamIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}

/** When Redis wrote a stream entry (epoch ms): its id's first part, Redis's own clock. */
export const streamIdTime = (id: string): number => Number(id.split('-')[0]);

/** Turns XREAD/XRANGE's flat field list into an event. */
export function toStreamEvent(id: string, flat: string[]): StreamEvent {
  const fields: Record<string, string> = Object.create(null);
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return { id, name: fields.event ?? '', fields };
}
