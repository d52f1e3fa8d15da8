/**
 * What the suite knows about each job incarnation it created: where it was routed, how it was
 * added, and the facts BullMQ itself reported while the run went on (a worker finishing it,
 * the suite removing it, Redis losing it). The final truth is read from BullMQ at the end.
 */
import type { JobState } from '../../shared/index.js';

/** How a job reached BullMQ. */
export type AddVia = 'enqueue' | 'routeJob' | 'plain' | 'flow' | 'scheduler' | 'scheduler-job';

/** The tag a job carries in its data: a scheduler's jobs all carry their scheduler's (`tag@jobId` names one of them). */
export const dataTagOf = (record: { tag: string }) => record.tag.split('@')[0]!;

/** What the workload's processor does with a job (in `data.plan`). */
export interface Plan {
  /** Progress reported in order, each after `workMs`. */
  progress?: Array<number | Record<string, unknown>>;
  workMs?: number;
  /** Fails while `attemptsMade` < this (so `failUntil: 1` fails the first attempt only). */
  failUntil?: number;
  /** Throws UnrecoverableError: no retry whatever the attempts left. */
  unrecoverable?: boolean;
  /** The first run calls `worker.rateLimit(ms)` and throws `Worker.RateLimitError()`. */
  rateLimitOnce?: number;
  /** The first run moves itself to delayed for this long (`job.moveToDelayed` + DelayedError). */
  moveToDelayedOnce?: number;
}

export interface FinishFact {
  state: 'completed' | 'failed';
  attemptsMade: number;
  progress: unknown;
  at: number;
}

export type RemovedBy = 'remove' | 'drain' | 'obliterate' | 'debounce';

/** One incarnation of one job: the unit every client's view is compared against. */
export interface JobRecord {
  /** Unique in the run; the job's `data.tag`, projected by the server, so statuses name it. */
  tag: string;
  feature: string;
  queue: string;
  jobId: string;
  /** The rooms this incarnation was routed to; empty = not routed (must appear on no page). */
  rooms: string[];
  via: AddVia;
  /** Order of creation in the run (a later incarnation of the same id replaces an earlier one). */
  order: number;
  createdAt: number;
  /** When the add (or the routeJob before it) was called: the job's BullMQ timestamp and its `added` event fall between this and `createdAt`. */
  addedFrom: number;
  /** The add threw or its outcome is unknown (Redis went away): compared for misrouting only. */
  uncertain?: boolean;
  finish?: FinishFact;
  removed?: { by: RemovedBy; at: number };
  /** BullMQ dropped this add in favour of an existing job. */
  deduplicatedBy?: string;
  /** `queue.obliterate()` destroyed the job, finished or not, and its events stream. */
  obliteratedAt?: number;
  /** The events stream was trimmed (while no server read it) after this incarnation was added. */
  eventsTrimmedAt?: number;
  /** Redis lost its data (restart without persistence) while this incarnation existed. */
  wipedAt?: number;
  /**
   * When that loss was complete. A Redis Cluster's masters are flushed side by side, not at one
   * instant: until the last one is, a job whose master is not flushed yet can still finish.
   */
  wipeSettledAt?: number;
  /** Stays unfinished on purpose (a long delay): compared with its current state. */
  parked?: boolean;
}

/** What BullMQ says about a record at the end. */
export interface Truth {
  /** The job exists and is this incarnation. */
  live?: { state: JobState; attemptsMade: number; progress: unknown; finished: boolean };
}

/** Maps BullMQ's `getState()` to the public state a page should show. */
export function publicStateOf(bullState: string): JobState | undefined {
  switch (bullState) {
    case 'completed':
    case 'failed':
    case 'active':
    case 'delayed':
    case 'waiting-children':
      return bullState;
    case 'wait':
    case 'waiting':
    case 'prioritized':
    case 'paused':
      return 'waiting';
    default:
      return undefined;
  }
}
