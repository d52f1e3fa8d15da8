import type { JobFacts } from './jobFacts.js';
import type { JobStatus } from '../../shared/index.js';
import type { StreamEvent } from './streamEvent.js';

/**
 * The attempt a status is about, with BullMQ's own meaning: `attemptsMade + 1` until the
 * job finishes, `attemptsMade` once it has. Only a failure that BullMQ retries raises it
 * (its `atm` counter); rate limits, stalls and `moveToDelayed` leave it alone.
 */
export interface AttemptInput {
  event: StreamEvent;
  previous: JobStatus | undefined;
  /** The job's record, when it is this incarnation's; undefined when removed. */
  job: JobFacts | undefined;
  /** True when `job` was read with no later event of the job in between: it is the state right after `event`. */
  exact: boolean;
  /** The job's next event, when already read (a final `failed` is followed by `retries-exhausted`). */
  next?: StreamEvent | undefined;
  /** Where the job's retries go, when its enqueue knew (`Route.retryTo`). */
  retryTo?: 'delayed' | 'waiting' | undefined;
  /** The job's `attempts` option, when its route names it. */
  maxAttempts?: number | undefined;
}

/** BullMQ's count of finished attempts, read from its record, as our attempt number. */
export const attemptOfRecord = (job: JobFacts): number => (job.finishedOn ? Math.max(1, job.attemptsMade) : job.attemptsMade + 1);

/** An attempt number, and whether it was counted from events alone where BullMQ's events cannot tell. */
export interface Attempt {
  attempt: number;
  inferred: boolean;
}

export function attemptOf({ event, previous, job, exact, next, retryTo, maxAttempts }: AttemptInput): Attempt {
  if (event.name === 'failed' && next?.name === 'retries-exhausted') {
    const made = Number(next.fields.attemptsMade);
    if (Number.isInteger(made) && made > 0) return { attempt: made, inferred: false };
  }
  // A finished job's record no longer changes (this incarnation's): its count is final, read late or not.
  const finishing = event.name === 'completed' || event.name === 'failed';
  if (job && (exact || (finishing && job.finishedOn !== undefined))) return { attempt: attemptOfRecord(job), inferred: false };
  const before = { attempt: previous?.attempt ?? 1, inferred: previous?.attemptInferred === true };
  if (!leftActive(event, previous)) return before;
  // The job left `active` for `delayed` or `waiting`: a retried failure, or a rate limit /
  // moveToDelayed (their events are the same). BullMQ counted a failure only if its `atm`
  // grew past what we showed. With the record gone, the job's options rule some out (no
  // attempt left; not where its retries go); what is left is counted as a retry, said inferred.
  if (!job) {
    if (maxAttempts !== undefined && before.attempt >= maxAttempts) return before;
    if (retryTo !== undefined && retryTo !== event.name) return before;
    return { attempt: before.attempt + 1, inferred: true };
  }
  // Read later, the record may already count the job's final attempt (finished): compare like for like.
  return attemptOfRecord(job) > before.attempt ? { attempt: before.attempt + 1, inferred: before.inferred } : before;
}

/** A move out of `active` back to a waiting state. */
function leftActive(event: StreamEvent, previous: JobStatus | undefined): boolean {
  if (previous?.state !== 'active') return false;
  return event.name === 'delayed' || (event.name === 'waiting' && event.fields.prev === 'active');
}
