import type { Job } from 'bullmq';
import {
  JobProgressSchema,
  JobStepSchema,
  type JobState,
  type JobStatus,
  type LifecycleEvent,
  type PublicFailure,
} from '../../shared/index.js';
import type { Logger } from '../options.js';
import { DEFAULT_FAILURE, type Projection, type ProjectionContext } from './projection.js';
import type { Route } from './routing.js';

/** One entry of BullMQ's events stream, as read. */
export interface StreamEvent {
  id: string;
  name: string;
  fields: Record<string, string>;
}

/** BullMQ events that concern one job; queue-wide ones (drained, paused, cleaned…) are not pushed. */
export const JOB_EVENTS = new Set([
  'added',
  'waiting',
  'waiting-children',
  'active',
  'progress',
  'delayed',
  'stalled',
  'completed',
  'failed',
  'retries-exhausted',
  'removed',
  'deduplicated',
]);

export interface BuildInput {
  queue: string;
  jobId: string;
  event: StreamEvent;
  /** The job as read after the event; undefined when it was already removed. */
  job: Job | undefined;
  /** The job's last public status, used for what a removed job can no longer tell. */
  previous: JobStatus | undefined;
  route: Route;
  projection: Projection | undefined;
  now: number;
  logger: Logger;
}

/**
 * Turns a BullMQ lifecycle event into the job's public status. Only allowlisted fields
 * are copied; `data` comes solely from the queue's projection, validated by its schema.
 */
export function buildStatus(input: BuildInput): { lifecycle: LifecycleEvent; status: JobStatus } {
  const { event, job, previous } = input;
  const { lifecycle, state } = classify(event, job);
  const failedAttempt = job !== undefined && job.attemptsMade > 0 && Boolean(job.failedReason);
  const status: JobStatus = {
    jobId: input.jobId,
    queue: input.queue,
    state,
    attempt: job ? Math.max(job.attemptsStarted ?? 0, job.attemptsMade) : attemptOfRemovedJob(lifecycle, previous),
    maxAttempts: Math.max(1, job?.opts.attempts ?? previous?.maxAttempts ?? 1),
    updatedAt: input.now,
  };
  const name = job?.name ?? previous?.name;
  if (name !== undefined) status.name = name;
  const correlationId = input.route.correlationId ?? previous?.correlationId;
  if (correlationId !== undefined) status.correlationId = correlationId;
  copyTimes(status, job, previous);

  const progress = event.name === 'progress' ? parseJson(event.fields.data) : (job?.progress ?? previous?.progress);
  applyProgress(status, progress, previous);

  if (lifecycle === 'retrying' || (state === 'delayed' && failedAttempt)) status.willRetry = true;
  if (state === 'delayed') {
    const due = Number(event.fields.delay);
    if (Number.isFinite(due) && due > 0) status.nextAttemptAt = due;
  }
  const context: ProjectionContext = { queue: input.queue, jobId: input.jobId, name, event: lifecycle, data: job?.data };
  if (state === 'failed' || status.willRetry) {
    status.failure = publicFailure(job?.failedReason ?? event.fields.failedReason ?? '', context, input.projection, previous);
    if (state === 'failed') status.willRetry = false;
  }
  if (state === 'deduplicated' && event.fields.jobId) status.deduplicatedBy = event.fields.jobId;
  if (lifecycle === 'completed') context.returnvalue = parseJson(event.fields.returnvalue);
  const data = project(context, input.projection, input.logger) ?? previous?.data;
  if (data !== undefined) status.data = data;
  return { lifecycle, status };
}

/**
 * A removed job can no longer say how many attempts it made: infer it from the event.
 * A finish implies at least one attempt; a start after a non-active state implies one more.
 */
function attemptOfRemovedJob(lifecycle: LifecycleEvent, previous: JobStatus | undefined): number {
  const before = previous?.attempt ?? 0;
  if (lifecycle === 'active' && previous?.state !== 'active') return before + 1;
  if (lifecycle === 'completed' || lifecycle === 'failed' || lifecycle === 'retries-exhausted') return Math.max(before, 1);
  return before;
}

function classify(event: StreamEvent, job: Job | undefined): { lifecycle: LifecycleEvent; state: JobState } {
  const failedAttempt = job !== undefined && job.attemptsMade > 0 && Boolean(job.failedReason);
  switch (event.name) {
    case 'added':
      return { lifecycle: 'added', state: (job?.opts.delay ?? 0) > 0 ? 'delayed' : 'waiting' };
    case 'waiting':
      // BullMQ writes no "failed" event for an attempt that will be retried at once: it moves the job back to wait.
      return event.fields.prev === 'active' && failedAttempt
        ? { lifecycle: 'retrying', state: 'waiting' }
        : { lifecycle: 'waiting', state: 'waiting' };
    case 'delayed':
      return failedAttempt ? { lifecycle: 'retrying', state: 'delayed' } : { lifecycle: 'delayed', state: 'delayed' };
    case 'progress':
      return { lifecycle: 'progress', state: 'active' };
    case 'retries-exhausted':
      return { lifecycle: 'retries-exhausted', state: 'failed' };
    case 'waiting-children':
    case 'active':
    case 'stalled':
    case 'completed':
    case 'failed':
    case 'removed':
    case 'deduplicated':
      return { lifecycle: event.name, state: event.name };
    default:
      throw new Error(`Not a job event: ${event.name}`);
  }
}

function copyTimes(status: JobStatus, job: Job | undefined, previous: JobStatus | undefined) {
  const enqueuedAt = job?.timestamp ?? previous?.enqueuedAt;
  const startedAt = job?.processedOn ?? previous?.startedAt;
  const finishedAt = job?.finishedOn ?? previous?.finishedAt;
  if (enqueuedAt) status.enqueuedAt = enqueuedAt;
  if (startedAt) status.startedAt = startedAt;
  if (finishedAt) status.finishedAt = finishedAt;
}

/**
 * Progress is public by design (the worker chose to report it). An object progress may
 * carry `step` (set by the worker helpers), which is lifted into `status.step`.
 */
function applyProgress(status: JobStatus, raw: unknown, previous: JobStatus | undefined) {
  const parsed = JobProgressSchema.safeParse(raw);
  // BullMQ starts every job at progress 0: leave that out until the worker reports something.
  if (parsed.success && !(raw === 0 && previous?.progress === undefined)) status.progress = parsed.data;
  const step = typeof raw === 'object' && raw !== null ? JobStepSchema.safeParse((raw as { step?: unknown }).step) : undefined;
  if (step?.success) status.step = step.data;
  else if (previous?.step) status.step = previous.step;
}

function publicFailure(
  reason: string,
  context: ProjectionContext,
  projection: Projection | undefined,
  previous: JobStatus | undefined,
): PublicFailure {
  try {
    const chosen = projection?.failure?.(reason, context);
    if (chosen) return chosen;
  } catch {
    // A projection that throws must not leak the reason: fall back to the safe default.
  }
  const step = previous?.step;
  if (step?.status === 'failed') return { ...DEFAULT_FAILURE, step: step.name };
  return DEFAULT_FAILURE;
}

function project(context: ProjectionContext, projection: Projection | undefined, logger: Logger): Record<string, unknown> | undefined {
  if (!projection) return undefined;
  try {
    const selected = projection.select(context);
    if (selected === undefined) return undefined;
    const parsed = projection.schema.safeParse(selected);
    if (parsed.success) return parsed.data;
    logger.warn({ queue: context.queue, jobId: context.jobId, issues: parsed.error.issues.length }, 'projection output failed its schema; nothing sent');
  } catch (error) {
    logger.warn({ queue: context.queue, jobId: context.jobId, err: error }, 'projection threw; nothing sent');
  }
  return undefined;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
