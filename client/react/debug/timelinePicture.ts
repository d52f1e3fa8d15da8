import type { JobStatus, JobStep } from '../../../shared/index.js';

/** One stretch of a job's life on the timeline picture. */
export interface TimelineSegment {
  /** 'queued': waiting for a worker; 'step': a named step; 'backoff': waiting out a retry delay. */
  readonly kind: 'queued' | 'step' | 'backoff';
  readonly label: string;
  /** For steps: started (still running), completed, failed or skipped. */
  readonly status?: JobStep['status'];
  /** Epoch ms. */
  readonly startAt: number;
  readonly durationMs: number;
  /** Still going: a running step, or a backoff whose end is in the future. */
  readonly open: boolean;
}

/** One attempt of a job: its steps, and the backoff wait after it when it failed and will run again. */
export interface TimelineAttempt {
  readonly attempt: number;
  readonly outcome: 'running' | 'completed' | 'failed' | 'retrying' | 'waiting' | 'other';
  readonly segments: readonly TimelineSegment[];
}

/** A job drawn on one time axis: its attempts in order, from `startAt` over `spanMs`. */
export interface TimelinePicture {
  readonly startAt: number;
  readonly spanMs: number;
  readonly attempts: readonly TimelineAttempt[];
}

const stepEnd = (step: JobStep, now: number): number =>
  (step.startedAt ?? now) + (step.status === 'started' ? Math.max(0, now - (step.startedAt ?? now)) : (step.durationMs ?? 0));

/**
 * Draws a job from its status alone (`steps`, `attempt`, `willRetry`, `nextAttemptAt` and
 * its timestamps): time in the queue, each attempt's steps with durations, and the backoff
 * waits between attempts. Returns undefined when the status has no step and no timing.
 * Pure: `now` closes what is still running.
 */
export function toTimelinePicture(status: JobStatus, now: number): TimelinePicture | undefined {
  const steps = (status.steps ?? []).filter((step) => step.startedAt !== undefined);
  const byAttempt = new Map<number, JobStep[]>();
  for (const step of steps) {
    const attempt = step.attempt ?? 1;
    byAttempt.set(attempt, [...(byAttempt.get(attempt) ?? []), step]);
  }
  const numbers = [...byAttempt.keys()].sort((a, b) => a - b);
  const current = failedAttemptOf(status);
  // The current attempt may have no step yet (it failed before its first step, or was just picked up).
  if (!numbers.includes(current) && (status.willRetry || status.state === 'active' || numbers.length === 0)) numbers.push(current);
  const firstStep = steps[0]?.startedAt;
  const startAt = status.enqueuedAt ?? firstStep ?? status.startedAt;
  if (startAt === undefined) return undefined;

  const attempts: TimelineAttempt[] = [];
  let previousEnd = startAt;
  for (const [position, attempt] of numbers.entries()) {
    const own = (byAttempt.get(attempt) ?? []).sort((a, b) => a.startedAt! - b.startedAt!);
    const last = position === numbers.length - 1;
    const segments: TimelineSegment[] = [];
    const firstAt = own[0]?.startedAt ?? (last && status.state === 'active' ? status.startedAt : undefined);
    if (position === 0 && firstAt !== undefined && firstAt > startAt) {
      segments.push({ kind: 'queued', label: 'queued', startAt, durationMs: firstAt - startAt, open: false });
    }
    for (const step of own) {
      const end = stepEnd(step, now);
      segments.push({ kind: 'step', label: step.name, status: step.status, startAt: step.startedAt!, durationMs: end - step.startedAt!, open: step.status === 'started' });
      previousEnd = Math.max(previousEnd, end);
    }
    const outcome = outcomeOf(status, last, own);
    if (outcome === 'retrying' && status.nextAttemptAt !== undefined) {
      const from = Math.min(previousEnd, status.nextAttemptAt);
      segments.push({ kind: 'backoff', label: 'backoff', startAt: from, durationMs: status.nextAttemptAt - from, open: status.nextAttemptAt > now });
    } else if (!last) {
      // An earlier attempt: the wait is the time until the next attempt's first step.
      const nextStart = byAttempt.get(numbers[position + 1]!)?.[0]?.startedAt;
      if (nextStart !== undefined && nextStart > previousEnd) {
        segments.push({ kind: 'backoff', label: 'backoff', startAt: previousEnd, durationMs: nextStart - previousEnd, open: false });
      }
    }
    attempts.push({ attempt, outcome, segments });
  }
  const ends = attempts.flatMap((attempt) => attempt.segments.map((segment) => segment.startAt + segment.durationMs));
  const endAt = Math.max(startAt, status.finishedAt ?? 0, ...ends, status.state === 'waiting' || status.state === 'active' ? now : startAt);
  return { startAt, spanMs: Math.max(1, endAt - startAt), attempts };
}

/**
 * The attempt a status reports on. A status that will retry is already about the coming
 * attempt (BullMQ's `attemptsMade + 1`), so the one that failed is the attempt before it.
 */
export const failedAttemptOf = (status: Pick<JobStatus, 'attempt' | 'willRetry'>): number =>
  status.willRetry ? Math.max(1, status.attempt - 1) : status.attempt;

function outcomeOf(status: JobStatus, last: boolean, own: readonly JobStep[]): TimelineAttempt['outcome'] {
  if (!last) return 'failed';
  if (status.willRetry) return 'retrying';
  switch (status.state) {
    case 'active':
      return 'running';
    case 'completed':
      return 'completed';
    case 'failed':
      return 'failed';
    case 'waiting':
    case 'delayed':
    case 'waiting-children':
      return own.length ? 'other' : 'waiting';
    default:
      return 'other';
  }
}
