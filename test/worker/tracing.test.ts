import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
// A dependency of the SDK, not of jobcast: only this test registers a propagator.
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createJobcastWorker, createTypedEnqueuer, defineJobs, enqueue, step } from '../../server/worker/index.js';
import { uniqueName, waitFor } from '../support/stack.js';
import { captureLogger, finishedJob, onCleanup, progressOf, readQueue, redisUrl } from './helpers.js';

const jobs = defineJobs({ render: z.object({ pageId: z.number() }), thumbnail: z.object({ size: z.number() }) });
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});
beforeEach(() => exporter.reset());

describe('OpenTelemetry', () => {
  it('continues the enqueuing request’s trace in the worker, with a span per step, and reports its trace id', async () => {
    const queue = uniqueName('otel');
    const childQueue = uniqueName('otel-child');
    const keyPrefix = uniqueName('jc');
    const { logger, lines } = captureLogger();
    let runs = 0;
    const worker = createJobcastWorker(
      queue,
      async () => {
        await step('layout', () => 'ok');
        await step('spawn', () => enqueue(childQueue, 'thumbnail', { size: 64 }));
        await step('paint', () => {
          if (++runs === 1) throw new Error('gpu busy');
        });
      },
      { connection: redisUrl(), keyPrefix, logger, jobs },
    );
    onCleanup(() => worker.close());
    const enqueuer = createTypedEnqueuer({ redis: redisUrl(), keyPrefix, jobs });
    onCleanup(() => enqueuer.close());

    const tracer = trace.getTracer('test-http');
    const { jobId, requestSpan } = await tracer.startActiveSpan('POST /pages/1/render', async (span) => {
      const enqueued = await enqueuer.enqueue(queue, 'render', { pageId: 1 }, { rooms: ['page:1'], attempts: 2, backoff: { type: 'fixed', delay: 50 } });
      span.end();
      return { ...enqueued, requestSpan: span.spanContext() };
    });
    const reader = readQueue(queue);
    const stored = (await reader.getJob(jobId))!;
    expect(stored.data.jobcast.traceparent).toMatch(new RegExp(`^00-${requestSpan.traceId}-${requestSpan.spanId}-01$`));
    const job = await finishedJob(reader, jobId);
    expect(await job.getState()).toBe('completed');

    const traceId = requestSpan.traceId;
    expect(progressOf(job).traceId).toBe(traceId);
    const spans = await waitFor(() => {
      const finished = exporter.getFinishedSpans().filter((span) => span.name.startsWith('step ') || span.name.startsWith('job '));
      return finished.length >= 8 ? finished : undefined;
    }, 'the spans of two attempts');
    const jobSpans = spans.filter((span) => span.name === 'job render');
    expect(jobSpans).toHaveLength(2);
    for (const span of jobSpans) expect(span.parentSpanContext?.spanId).toBe(requestSpan.spanId);
    const stepSpans = spans.filter((span) => span.name.startsWith('step '));
    expect(stepSpans.map((span) => `${span.name}@${span.attributes.attempt}`).sort()).toEqual(
      ['step layout@1', 'step spawn@1', 'step paint@1', 'step layout@2', 'step spawn@2', 'step paint@2'].sort(),
    );
    for (const span of [...jobSpans, ...stepSpans]) expect(span.spanContext().traceId).toBe(traceId);
    const jobSpanIds = new Set(jobSpans.map((span) => span.spanContext().spanId));
    for (const span of stepSpans) expect(jobSpanIds.has(span.parentSpanContext!.spanId)).toBe(true);
    expect(stepSpans[0]!.attributes).toMatchObject({ 'job.id': jobId, 'job.name': 'render', queue, correlation_id: expect.any(String) });
    const failed = stepSpans.find((span) => span.name === 'step paint' && span.attributes.attempt === 1)!;
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed.events.map((event) => event.name)).toContain('exception');
    // The child job's trace continues from the step that enqueued it.
    const childReader = readQueue(childQueue);
    const [child] = await childReader.getJobs(['waiting']);
    expect(child!.data.jobcast.traceparent).toMatch(new RegExp(`^00-${traceId}-`));
    // Logs link to the trace too.
    expect(lines.filter((line) => line.job_id === jobId).every((line) => line.trace_id === traceId)).toBe(true);
  });

  it('reports no trace id and injects nothing when no span is active', async () => {
    const queue = uniqueName('otel');
    const keyPrefix = uniqueName('jc');
    const worker = createJobcastWorker(queue, async () => step('only', () => 1), { connection: redisUrl(), keyPrefix, logger: captureLogger().logger });
    onCleanup(() => worker.close());
    const enqueuer = createTypedEnqueuer({ redis: redisUrl(), keyPrefix, jobs });
    onCleanup(() => enqueuer.close());
    const { jobId } = await enqueuer.enqueue(queue, 'render', { pageId: 2 }, { rooms: ['page:2'] });
    const job = await finishedJob(readQueue(queue), jobId);
    expect(job.data.jobcast.traceparent).toBeUndefined();
    // The worker starts a new trace of its own: its id is reported, not an all-zero one.
    expect(progressOf(job).traceId).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
  });
});
