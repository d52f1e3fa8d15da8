import type { Job } from 'bullmq';
import {
  JobProgressSchema,
  LIFTED_PROGRESS_KEYS,
  LifecycleEventSchema,
  WorkerProgressSchema,
  type JobWarning,
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

/**
 * BullMQ events that concern one job: every lifecycle event but jobcast's own (`retrying` is
 * derived from `delayed`/`waiting`, `reconciled` from BullMQ's state). Queue-wide events
 * (drained, paused, cleaned…) are not pushed.
 */
export const JOB_EVENTS: ReadonlySet<string> = new Set(
  LifecycleEventSchema.options.filter((event) => event !== 'retrying' && event !== 'reconciled'),
);

export interface BuildInput extends WarningContext {
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

export interface WarningContext {
  /** The worker version this server expects; a job run by another is flagged STALE_WORKER. */
  expectedWorkerVersion?: string | undefined;
  /** Workers on the job's queue, when known; 0 flags a waiting job NO_WORKER. */
  workersListening?: number | undefined;
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
  // Without the job (removed, or not read again), a finish happened when BullMQ wrote the event.
  if (!job && !status.finishedAt && (state === 'completed' || state === 'failed')) {
    const writtenAt = Number(event.id.split('-')[0]);
    if (Number.isFinite(writtenAt) && writtenAt > 0) status.finishedAt = writtenAt;
  }

  const progress = event.name === 'progress' ? parseJson(event.fields.data) : (job?.progress ?? previous?.progress);
  applyProgress(status, progress, previous);

  if (lifecycle === 'retrying' || (state === 'delayed' && failedAttempt)) status.willRetry = true;
  if (state === 'delayed') {
    const due = Number(event.fields.delay);
    if (Number.isFinite(due) && due > 0) status.nextAttemptAt = due;
  }
  const context: ProjectionContext = { queue: input.queue, jobId: input.jobId, name, event: lifecycle, data: job?.data };
  if (state === 'failed' || status.willRetry) {
    status.failure = publicFailure(job?.failedReason ?? event.fields.failedReason ?? '', context, input.projection, status);
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
  const parsed = JobProgressSchema.safeParse(progress);
  // BullMQ starts every job at progress 0: leave that out until the worker reports something.
  if (parsed.success && !(progress === 0 && previous?.progress === undefined)) status.progress = parsed.data;
  const fields = lifted?.success ? lifted.data : undefined;
  const step = fields?.step ?? previous?.step;
  const steps = fields?.steps ?? previous?.steps;
  const worker = fields?.worker ?? previous?.worker;
  const traceId = fields?.traceId ?? previous?.traceId;
  if (step) status.step = step;
  if (steps) status.steps = steps;
  if (worker) status.worker = worker;
  if (traceId) status.traceId = traceId;
}

/** Warnings a developer should see on the job: old code ran it, or nothing will run it. */
function warningsFor(status: JobStatus, context: WarningContext): JobWarning[] {
  const warnings: JobWarning[] = [];
  const { worker } = status;
  if (context.expectedWorkerVersion && worker?.version && worker.version !== context.expectedWorkerVersion) {
    warnings.push({
      code: 'STALE_WORKER',
      message: `Run by a worker on version ${worker.version} (${worker.host}, pid ${worker.pid}); this server expects ${context.expectedWorkerVersion}.`,
    });
  }
  if (status.state === 'waiting' && context.workersListening === 0) {
    warnings.push({ code: 'NO_WORKER', message: `No worker listens on queue "${status.queue}": this job will wait until one starts.` });
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
 * timeline. A failed step of an earlier attempt is not this attempt's failure.
 */
function withSteps(failure: PublicFailure, status: JobStatus): PublicFailure {
  const result = { ...failure };
  const step = status.step;
  if (step?.status === 'failed' && (step.attempt === undefined || step.attempt >= status.attempt)) result.step = step.name;
  const lastCompleted = status.steps?.findLast((step) => step.status === 'completed' || step.status === 'skipped');
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
