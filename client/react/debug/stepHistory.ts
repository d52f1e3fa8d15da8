import type { JobStatus, JobStep } from '../../../shared/index.js';

/*
 * What a job's step timeline (`status.steps`, written by the worker helpers' `step()`) says
 * beyond its state: a retry that ran again steps an earlier attempt had completed, and a step
 * that failed while its job went on. Only steps that name their attempt are read: without it,
 * a step of one attempt cannot be told from the same step of the next.
 */

/** The steps of each attempt, in the order they started. */
function stepsByAttempt(status: Pick<JobStatus, 'steps'>): Map<number, JobStep[]> {
  const byAttempt = new Map<number, JobStep[]>();
  for (const step of status.steps ?? []) {
    if (step.attempt === undefined) continue;
    byAttempt.set(step.attempt, [...(byAttempt.get(step.attempt) ?? []), step]);
  }
  for (const steps of byAttempt.values()) steps.sort((a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0));
  return byAttempt;
}

/** A retry that ran again a step an earlier attempt had completed. */
export interface RerunSteps {
  /** The attempt that ran them again. */
  readonly attempt: number;
  /** The steps it ran again, in order. */
  readonly steps: readonly string[];
  /** The attempt that had completed them first. */
  readonly completedIn: number;
}

/**
 * The latest attempt that ran (started, completed or failed; not skipped) a step that an
 * earlier attempt had completed: whatever that step did (a charge, an email, a row) was done
 * twice unless it is idempotent. Checkpointing makes the retry skip such steps instead.
 */
export function rerunSteps(status: Pick<JobStatus, 'steps'>): RerunSteps | undefined {
  const byAttempt = stepsByAttempt(status);
  const attempts = [...byAttempt.keys()].sort((a, b) => a - b);
  const completedIn = new Map<string, number>();
  let found: RerunSteps | undefined;
  for (const attempt of attempts) {
    const steps = byAttempt.get(attempt)!;
    const again = steps.filter((step) => step.status !== 'skipped' && completedIn.has(step.name)).map((step) => step.name);
    if (again.length > 0) found = { attempt, steps: [...new Set(again)], completedIn: completedIn.get(again[0]!)! };
    for (const step of steps) if (step.status === 'completed' && !completedIn.has(step.name)) completedIn.set(step.name, attempt);
  }
  return found;
}

/**
 * Steps that failed while their attempt went on: a step of the same attempt started after the
 * failure (steps running side by side do not count), or the job completed in that attempt.
 * The error was caught inside the job, so BullMQ never saw it.
 */
export function swallowedSteps(status: Pick<JobStatus, 'steps' | 'state' | 'attempt'>): JobStep[] {
  const swallowed: JobStep[] = [];
  for (const [attempt, steps] of stepsByAttempt(status)) {
    const completedIn = status.state === 'completed' && status.attempt === attempt;
    for (const step of steps) {
      if (step.status !== 'failed') continue;
      const failedAt = (step.startedAt ?? 0) + (step.durationMs ?? 0);
      if (completedIn || steps.some((later) => (later.startedAt ?? 0) > failedAt)) swallowed.push(step);
    }
  }
  return swallowed;
}
