import { performance } from 'node:perf_hooks';
import type { JobStep } from '../../shared/index.js';
import { requireJobContext, type JobContext } from './context.js';
import { inSpan } from './tracing.js';

/** The schema's limit on a step name; longer names are cut so the server still accepts the step. */
const STEP_NAME_MAX_LENGTH = 200;

/** Options of one step. */
export interface StepOptions {
  /** How many steps the job has: the reported `percent` then follows the completed steps. */
  total?: number;
}

/**
 * Runs one named step of the current job: records `started`, then `completed` or `failed`
 * with its duration, pushes each boundary to the job's rooms as progress, writes one JSON log
 * line per boundary and wraps the step in an OpenTelemetry span `step <name>`. With
 * checkpointing on, a step that completed in an earlier attempt is skipped and returns the
 * value it returned then (stored as JSON: a Date comes back as a string).
 * @throws OutsideJobError outside a processor wrapped by jobcast; otherwise whatever `fn` throws
 * @example
 * const text = await step('fetch', () => fetchDocument(id));
 * const summary = await step('summarize', () => summarize(text));
 */
export async function step<T>(name: string, fn: () => T | Promise<T>, options: StepOptions = {}): Promise<T> {
  const context = requireJobContext('step');
  const stepName = name.slice(0, STEP_NAME_MAX_LENGTH);
  // A name used twice in one run gets its own checkpoint field, so the second use never
  // returns the first one's value.
  const occurrence = (context.occurrences.get(stepName) ?? 0) + 1;
  context.occurrences.set(stepName, occurrence);
  const key = occurrence === 1 ? stepName : `${stepName}#${occurrence}`;
  const index = context.stepCount++;
  // A total the schema refuses would make the server drop the whole progress object.
  const total = Number.isInteger(options.total) && options.total! > 0 ? options.total : undefined;
  const base = { name: stepName, index, attempt: context.attempt, ...(total ? { total } : {}) };

  if (context.checkpoint?.has(key)) {
    const skipped: JobStep = { ...base, status: 'skipped', startedAt: Date.now(), durationMs: 0 };
    await boundary(context, skipped, undefined, total);
    return context.checkpoint.get(key) as T;
  }

  const started: JobStep = { ...base, status: 'started', startedAt: Date.now() };
  await boundary(context, started);
  const t0 = performance.now();
  let value: T;
  try {
    value = await inSpan(
      `step ${stepName}`,
      {
        attributes: {
          'job.id': context.jobId,
          'job.name': context.job.name,
          queue: context.queue,
          correlation_id: context.correlationId,
          attempt: context.attempt,
          'step.name': stepName,
          'step.index': index,
        },
      },
      async () => fn(),
    );
  } catch (error) {
    // The failed boundary is pushed before the error leaves: the server derives the failure's
    // step from the last progress it saw before BullMQ's "failed" event.
    const failed: JobStep = { ...started, status: 'failed', durationMs: elapsed(t0) };
    await boundary(context, failed, started, undefined, error);
    throw error;
  }
  const durationMs = elapsed(t0);
  if (context.checkpoint) {
    try {
      await context.checkpoint.save(key, value);
    } catch (error) {
      // The step's work is done: failing the job now would only run it again. Without its
      // checkpoint a retry re-runs this step, which is what happens without checkpointing.
      context.logger.warn({ step_name: stepName, err: error }, 'jobcast: step checkpoint not saved; a retry will run it again');
    }
  }
  await boundary(context, { ...started, status: 'completed', durationMs }, started, total);
  return value;
}

/**
 * Sets the job's percent (0–100) and, optionally, public `data` shown with it, and pushes
 * them with the step timeline. Use it instead of `job.updateProgress`, which would replace
 * the timeline.
 * @throws OutsideJobError outside a processor wrapped by jobcast
 */
export async function reportProgress(percent: number | undefined, data?: Record<string, unknown>): Promise<void> {
  const context = requireJobContext('reportProgress');
  if (percent !== undefined) context.progress.setPercent(percent);
  if (data) context.progress.setData(data);
  await context.progress.report();
}

const elapsed = (t0: number) => Math.max(0, Math.round(performance.now() - t0));

/** Records one boundary: progress entry, percent, one log line, then the progress write. */
async function boundary(context: JobContext, entry: JobStep, replaces?: JobStep, total?: number, error?: unknown) {
  context.progress.record(entry, replaces);
  if (total && (entry.status === 'completed' || entry.status === 'skipped')) {
    context.progress.setPercent(Math.round((((entry.index ?? 0) + 1) / total) * 100));
  }
  const line = {
    step_name: entry.name,
    status: entry.status,
    duration_ms: entry.status === 'started' ? null : (entry.durationMs ?? null),
    step_index: entry.index,
  };
  if (entry.status === 'failed') {
    context.logger.error({ ...line, last_completed_step: context.progress.lastCompletedStep() ?? null, err: error }, `step ${entry.name} failed`);
  } else {
    context.logger.info(line, `step ${entry.name} ${entry.status}`);
  }
  await context.progress.report();
}
