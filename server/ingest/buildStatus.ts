import type { JobFacts } from './jobFacts.js';
import {
  JobProgressSchema,
  LIFTED_PROGRESS_KEYS,
  WorkerProgressSchema,
  type JobWarning,
  type JobState,
  type JobStep,
  type JobStatus,
  type LifecycleEvent,
  type PublicFailure,
} from '../../shared/index.js';
import type { Logger } from '../options.js';
import { attemptOf } from './attempts.js';
import { DEFAULT_FAILURE, type Projection, type ProjectionContext } from './projection.js';
import type { Route } from './routing.js';
import { streamIdTime, type StreamEvent } from './streamEvent.js';

export type { StreamEvent } from './streamEvent.js';

export interface BuildInput extends WarningContext {
  queue: string;
  jobId: string;
  incarnation: string;
  event: StreamEvent;
  /** The job's record when it is this incarnation's, else undefined (removed, or not read). */
  job: JobFacts | undefined;
  /** True when `job` is the state right after `event` (no later event of the job happened before the read). */
  exact: boolean;
  /** The job's next event, when already read. */
  next?: StreamEvent | undefined;
  /** This incarnation's last public status, for what the event and record do not tell. */
  previous: JobStatus | undefined;
  route: Route;
  projection: Projection | undefined;
  now: number;
  logger: Logger;
}

export interface WarningContext {
  /** The worker version this server expects; a job run by another is flagged STALE_WORKER. */
  expectedWorkerVersion?: string | undefined;
}

/**
 * Turns a BullMQ lifecycle event into the job's public status. Only allowlisted fields
 * are copied; `data` comes solely from the queue's projection, validated by its schema.
 */
export function buildStatus(input: BuildInput): { lifecycle: LifecycleEvent; status: JobStatus } {
  const { event, job, previous } = input;
  const { attempt, inferred } = attemptOf({ ...input, retryTo: input.route.retryTo, maxAttempts: input.route.maxAttempts });
  const retried = attempt > (previous?.attempt ?? 1);
  const { lifecycle, state } = classify(event, job, retried);
  const status: JobStatus = {
    jobId: input.jobId,
    queue: input.queue,
    incarnation: input.incarnation,
    state,
    attempt,
    maxAttempts: Math.max(1, job?.opts.attempts ?? input.route.maxAttempts ?? previous?.maxAttempts ?? 1),
    updatedAt: input.now,
  };
  if (inferred) status.attemptInferred = true;
  const name = job?.name ?? event.fields.name ?? previous?.name;
  if (name !== undefined) status.name = name;
  const correlationId = input.route.correlationId ?? previous?.correlationId;
  if (correlationId !== undefined) status.correlationId = correlationId;
  copyTimes(status, event, job, previous);

  // A record read after later events may hold a later progress: only an exact read replaces the
  // last one (or gives a first one to a job met mid-life); a job just added has none yet.
  const fresh = event.name === 'added' || event.name === 'deduplicated';
  const progress =
    event.name === 'progress'
      ? parseJson(event.fields.data)
      : job && (input.exact || (!previous && !fresh))
        ? job.progress
        : previous?.progress;
  applyProgress(status, progress, previous);

  if (lifecycle === 'retrying') status.willRetry = true;
  if (state === 'delayed') {
    const due = Number(event.fields.delay);
    if (Number.isFinite(due) && due > 0) status.nextAttemptAt = due;
  }
  const context: ProjectionContext = { queue: input.queue, jobId: input.jobId, name, event: lifecycle, data: job?.data };
  if (state === 'failed' || status.willRetry) {
    status.failure = publicFailure(event.fields.failedReason ?? job?.failedReason ?? '', context, input.projection, status);
    if (state === 'failed') status.willRetry = false;
  }
  if (state === 'deduplicated' && event.fields.jobId) status.deduplicatedBy = event.fields.jobId;
  if (lifecycle === 'completed') context.returnvalue = parseJson(event.fields.returnvalue);
  const data = project(context, input.projection, input.logger) ?? previous?.data;
  if (data !== undefined) status.data = data;
  const warnings = warningsFor(status, input);
  if (warnings.length > 0) status.warnings = warnings;
  return { lifecycle, status };
}

function classify(event: StreamEvent, job: JobFacts | undefined, retried: boolean): { lifecycle: LifecycleEvent; state: JobState } {
  switch (event.name) {
    case 'added':
      return { lifecycle: 'added', state: (job?.opts.delay ?? 0) > 0 ? 'delayed' : 'waiting' };
    case 'waiting':
      // BullMQ writes no "failed" event for an attempt it retries: it moves the job back to wait or delayed.
      return retried ? { lifecycle: 'retrying', state: 'waiting' } : { lifecycle: 'waiting', state: 'waiting' };
    case 'delayed':
      return retried ? { lifecycle: 'retrying', state: 'delayed' } : { lifecycle: 'delayed', state: 'delayed' };
    case 'progress':
      return { lifecycle: 'progress', state: 'active' };
    case 'waiting-children':
    case 'active':
    case 'stalled':
    case 'completed':
    case 'failed':
    case 'removed':
    case 'deduplicated':
      return { lifecycle: event.name, state: event.name };
    default:
      throw new Error(`Not a pushed job event: ${event.name}`);
  }
}

/** Times come from the events' ids (Redis's clock) where an event marks them, else from the record. */
function copyTimes(status: JobStatus, event: StreamEvent, job: JobFacts | undefined, previous: JobStatus | undefined) {
  const at = streamIdTime(event.id);
  const written = Number.isFinite(at) && at > 0 ? at : undefined;
  const enqueuedAt = job?.timestamp ?? previous?.enqueuedAt ?? (event.name === 'added' ? written : undefined);
  const startedAt = event.name === 'active' ? (written ?? job?.processedOn) : (previous?.startedAt ?? job?.processedOn);
  const finishedAt = status.state === 'completed' || status.state === 'failed' ? (written ?? job?.finishedOn) : undefined;
  if (enqueuedAt) status.enqueuedAt = enqueuedAt;
  if (startedAt) status.startedAt = startedAt;
  if (finishedAt) status.finishedAt = finishedAt;
}

/**
 * Progress is public by design (the worker chose to report it). The worker helpers report
 * an object (`WorkerProgress`) whose `step`, `steps`, `worker` and `traceId` are lifted into
 * the status; what is left (percent, data) stays progress. A removed job keeps what it had.
 */
function applyProgress(status: JobStatus, raw: unknown, previous: JobStatus | undefined) {
  const record = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
  const lifted = record && LIFTED_PROGRESS_KEYS.some((key) => key in record) ? WorkerProgressSchema.safeParse(record) : undefined;
  let progress: unknown = raw;
  if (lifted?.success && record) {
    const rest = Object.fromEntries(Object.entries(record).filter(([key]) => !(LIFTED_PROGRESS_KEYS as readonly string[]).includes(key)));
    progress = Object.keys(rest).length > 0 ? rest : undefined;
  }
  // Nothing left once the worker's fields are lifted (the helpers' usual report): nothing to check.
  const parsed = progress === undefined ? undefined : JobProgressSchema.safeParse(progress);
  // BullMQ starts every job at progress 0: leave that out until the worker reports something.
  if (parsed?.success && !(progress === 0 && previous?.progress === undefined)) status.progress = parsed.data;
  const fields = lifted?.success ? lifted.data : undefined;
  // The step of an earlier attempt is not what this attempt is doing.
  const carried = previous?.step && (previous.step.attempt === undefined || previous.step.attempt === status.attempt) ? previous.step : undefined;
  const step = fields?.step ?? carried;
  const steps = fields?.steps ?? previous?.steps;
  const worker = fields?.worker ?? previous?.worker;
  const traceId = fields?.traceId ?? previous?.traceId;
  if (step) status.step = step;
  if (steps) status.steps = steps;
  if (worker) status.worker = worker;
  if (traceId) status.traceId = traceId;
}

/** Warnings the job's own data tells: old code ran it. (Worker warnings come from the worker watch.) */
function warningsFor(status: JobStatus, context: WarningContext): JobWarning[] {
  const warnings: JobWarning[] = [];
  const { worker } = status;
  if (context.expectedWorkerVersion && worker?.version && worker.version !== context.expectedWorkerVersion) {
    warnings.push({
      code: 'STALE_WORKER',
      message: `Run by a worker on version ${worker.version} (${worker.host}, pid ${worker.pid}); this server expects ${context.expectedWorkerVersion}.`,
    });
  }
  return warnings;
}

function publicFailure(reason: string, context: ProjectionContext, projection: Projection | undefined, status: JobStatus): PublicFailure {
  try {
    const chosen = projection?.failure?.(reason, context);
    if (chosen) return withSteps(chosen, status);
  } catch {
    // A projection that throws must not leak the reason: fall back to the safe default.
  }
  return withSteps(DEFAULT_FAILURE, status);
}

/**
 * Names the step that failed and the last one that completed, from the worker helpers'
 * timeline, within the attempt that failed: a step of another attempt is not its story.
 */
function withSteps(failure: PublicFailure, status: JobStatus): PublicFailure {
  const result = { ...failure };
  // A retrying status already counts the next attempt; the failure is the one before it.
  const failedAttempt = status.state === 'failed' ? status.attempt : status.attempt - 1;
  const ofAttempt = (step: JobStep) => step.attempt === undefined || step.attempt === failedAttempt;
  const timeline = [...(status.steps ?? []), ...(status.step ? [status.step] : [])];
  const failedStep = timeline.findLast((step) => step.status === 'failed' && ofAttempt(step));
  if (failedStep) result.step = failedStep.name;
  const lastCompleted = timeline.findLast((step) => (step.status === 'completed' || step.status === 'skipped') && ofAttempt(step));
  if (lastCompleted) result.lastCompletedStep = lastCompleted.name;
  return result;
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

/** True when two statuses of a job differ at most in when they were built. */
export function sameShownStatus(a: JobStatus, b: JobStatus): boolean {
  return JSON.stringify({ ...a, updatedAt: 0 }) === JSON.stringify({ ...b, updatedAt: 0 });
}
