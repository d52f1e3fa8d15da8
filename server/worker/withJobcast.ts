import { performance } from 'node:perf_hooks';
import type { Job, Processor } from 'bullmq';
import type { Redis, RedisOptions } from 'ioredis';
import { pino, type Logger } from 'pino';
import { routeFromData } from '../ingest/routing.js';
import { openRedis } from '../redisConnection.js';
import { DEFAULT_CHECKPOINT_TTL_MS, JobCheckpoint, checkpointKey } from './checkpoint.js';
import { runInJob, type JobContext } from './context.js';
import { createJobEnqueuer, type JobEnqueuer, type WorkerJobData } from './enqueue.js';
import { resolveWorkerIdentity } from './identity.js';
import { createJobDataValidator, type JobSchemas } from './jobs.js';
import { ProgressReporter, previousSteps } from './progress.js';
import { SpanKind, extractTraceContext, inSpan, traceIdOf } from './tracing.js';

/** Options of the job wrapper; each is read once, when the wrapper is made. */
export interface WithJobcastOptions {
  /** Redis for checkpoints and child jobs: a URL, ioredis options, or a client (duplicated, never closed). Required by `checkpoint` and `enqueue()`. */
  connection?: string | RedisOptions | Redis;
  /** jobcast's Redis key prefix; must match the server's. @default 'jobcast' */
  keyPrefix?: string;
  /** BullMQ's key prefix, for the queues of child jobs. @default 'bull' */
  bullPrefix?: string;
  /** The code version reported with every job. @default APP_VERSION, else npm_package_version, else the nearest package.json's version */
  version?: string;
  /** Skip, on a retry, the steps that completed in an earlier attempt. `true` means a 24 h TTL. @default off */
  checkpoint?: boolean | { ttlMs?: number };
  /** The pino logger that jobcast's job-bound children derive from. @default pino to stdout, ISO timestamps */
  logger?: Logger;
  /** Schemas that validate the data of child jobs enqueued with `enqueue()`. @default no validation */
  jobs?: JobSchemas;
  /** How long a child job's route is kept (as in createEnqueuer). @default 604_800_000 */
  routeTtlMs?: number;
  /** Max length of BullMQ's events stream for child queues (as in createEnqueuer). @default 10_000 */
  eventsMaxLen?: number;
}

/** A BullMQ processor wrapped by jobcast; `close()` releases the Redis connection it opened. */
export type JobcastProcessor<Data = any, Result = any> = Processor<Data, Result> & { close(): Promise<void> };

/**
 * Wraps a BullMQ processor so that the job's correlation id (from `data.jobcast`, else the job
 * id), its rooms and its trace context are bound for everything it does: `step()`,
 * `logger()`, `enqueue()` and `reportProgress()` work inside it. The first thing it does is
 * report the worker (host, pid, version) and trace id as progress.
 * @example
 * const worker = new Worker('summaries', withJobcast(async (job) => {
 *   const text = await step('fetch', () => fetchDocument(job.data.documentId));
 *   return step('summarize', () => summarize(text));
 * }, { connection: process.env.REDIS_URL }), { connection });
 */
export function withJobcast<Data = any, Result = any>(
  processor: Processor<Data, Result>,
  options: WithJobcastOptions = {},
): JobcastProcessor<Data, Result> {
  const { connection } = options;
  if (options.checkpoint && !connection) throw new TypeError('withJobcast: `checkpoint` needs a Redis `connection`');
  const identity = resolveWorkerIdentity(options.version);
  const baseLogger = options.logger ?? pino({ timestamp: pino.stdTimeFunctions.isoTime });
  const keyPrefix = options.keyPrefix ?? 'jobcast';
  const ttlMs = typeof options.checkpoint === 'object' ? (options.checkpoint.ttlMs ?? DEFAULT_CHECKPOINT_TTL_MS) : DEFAULT_CHECKPOINT_TTL_MS;
  // Both opened on first use, so a worker that needs neither holds no extra connection.
  let redis: Redis | undefined;
  let enqueuer: JobEnqueuer | undefined;
  const childEnqueuer = () => {
    if (!connection) return undefined;
    return (enqueuer ??= createJobEnqueuer({
      redis: connection,
      keyPrefix,
      bullPrefix: options.bullPrefix ?? 'bull',
      routeTtlMs: options.routeTtlMs ?? 604_800_000,
      eventsMaxLen: options.eventsMaxLen ?? 10_000,
      ...(options.jobs ? { validate: createJobDataValidator(options.jobs) } : {}),
    }));
  };

  const wrapped = async (job: Job<Data, Result>, token?: string, signal?: AbortSignal): Promise<Result> => {
    const data = jobcastData(job.data);
    const jobId = job.id ?? '';
    const correlationId = data.correlationId ?? jobId;
    // attemptsStarted counts this run (and stalled runs), as the server's `attempt` does.
    const attempt = Math.max(job.attemptsStarted ?? 0, job.attemptsMade + 1);
    const attributes = { 'job.id': jobId, 'job.name': job.name, queue: job.queueName, correlation_id: correlationId, attempt };
    const parent = extractTraceContext(data);
    return inSpan(`job ${job.name}`, { kind: SpanKind.CONSUMER, parent, attributes }, async (_span, ctx) => {
      const traceId = traceIdOf(ctx);
      const logger = baseLogger.child({
        job_id: jobId,
        correlation_id: correlationId,
        queue: job.queueName,
        job_name: job.name,
        attempt,
        ...(data.parentJobId ? { parent_job_id: data.parentJobId } : {}),
        ...(traceId ? { trace_id: traceId } : {}),
      });
      const checkpoint = options.checkpoint
        ? await JobCheckpoint.load((redis ??= openRedis(connection!, 'worker-checkpoint')), checkpointKey(keyPrefix, job.queueName, jobId), ttlMs, job.timestamp)
        : undefined;
      const progress = new ProgressReporter(job, { logger, worker: identity, traceId, steps: previousSteps(job.progress) });
      const context: JobContext = {
        job,
        queue: job.queueName,
        jobId,
        correlationId,
        parentJobId: data.parentJobId,
        rooms: data.rooms,
        attempt,
        logger,
        progress,
        checkpoint,
        enqueuer: childEnqueuer,
        occurrences: new Map(),
        stepCount: 0,
      };
      return runInJob(context, async () => {
        // Who runs the job (and its trace), known to the server before the first step.
        await progress.report();
        logger.info({ step_name: null, status: 'started', duration_ms: null }, 'job started');
        const t0 = performance.now();
        let result: Result;
        try {
          result = await processor(job, token, signal);
        } catch (error) {
          const lastCompleted = progress.lastCompletedStep() ?? null;
          const line = { step_name: null, status: 'failed', duration_ms: Math.round(performance.now() - t0), last_completed_step: lastCompleted };
          logger.error({ ...line, err: error }, 'job failed');
          throw error;
        }
        // Kept until now so a retry could use it; once the job completed no retry will.
        await checkpoint?.clear().catch((error: unknown) => logger.warn({ err: error }, 'jobcast: checkpoint not deleted; it expires with its TTL'));
        logger.info({ step_name: null, status: 'completed', duration_ms: Math.round(performance.now() - t0) }, 'job completed');
        return result;
      });
    });
  };

  let closed: Promise<void> | undefined;
  return Object.assign(wrapped, {
    close: () =>
      (closed ??= (async () => {
        await enqueuer?.close();
        if (redis) await redis.quit().catch(() => redis?.disconnect());
      })()),
  });
}

/** The jobcast part of a job's data, also accepting a bare `correlationId` for jobs added by hand. */
function jobcastData(data: unknown): Required<Pick<WorkerJobData, 'rooms'>> & Omit<WorkerJobData, 'rooms'> {
  const record = (typeof data === 'object' && data !== null ? data : {}) as { jobcast?: Record<string, unknown>; correlationId?: unknown };
  const jobcast = typeof record.jobcast === 'object' && record.jobcast !== null ? record.jobcast : {};
  const text = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined);
  const out: ReturnType<typeof jobcastData> = { rooms: routeFromData(data)?.rooms ?? [] };
  const correlationId = text(jobcast.correlationId) ?? text(record.correlationId);
  if (correlationId) out.correlationId = correlationId;
  const parentJobId = text(jobcast.parentJobId);
  if (parentJobId) out.parentJobId = parentJobId;
  const traceparent = text(jobcast.traceparent);
  if (traceparent) out.traceparent = traceparent;
  const tracestate = text(jobcast.tracestate);
  if (tracestate) out.tracestate = tracestate;
  return out;
}
