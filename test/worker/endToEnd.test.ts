import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createJobcastWorker, createTypedEnqueuer, defineJobs, step } from '../../server/worker/index.js';
import { EVENTS, type StatusEvent, type SubscribeAck } from '../../shared/index.js';
import { connectRaw, connected, request, startStack, uniqueName, waitFor } from '../support/stack.js';
import { captureLogger, onCleanup, redisUrl } from './helpers.js';

const jobs = defineJobs({ summarize: z.object({ documentId: z.number() }) });

describe('worker helpers end to end', () => {
  it('delivers the step timeline with attempt 2, the failed step and the worker to a subscribed page', async () => {
    const queue = uniqueName('e2e');
    const stack = await startStack({ queues: [queue], exposeWorkerIdentity: true }); // pages are shown which worker ran it
    onCleanup(() => stack.close());
    const socket = connectRaw(stack.url, 'user:alice');
    onCleanup(() => socket.close());
    const events: StatusEvent[] = [];
    socket.on(EVENTS.status, (event: StatusEvent) => events.push(event));
    await connected(socket);
    const ack = await request<SubscribeAck>(socket, EVENTS.subscribe, { room: 'document:5' });
    expect(ack.ok).toBe(true);

    let persists = 0;
    const worker = createJobcastWorker(
      queue,
      async () => {
        await step('fetch', () => 'text', { total: 4 });
        await step('summarize', () => 'summary', { total: 4 });
        await step('persist', () => {
          if (++persists === 1) throw new Error('database timeout');
        }, { total: 4 });
        await step('notify', () => undefined, { total: 4 });
      },
      { connection: redisUrl(), keyPrefix: stack.keyPrefix, checkpoint: true, logger: captureLogger().logger, version: '1.2.3-e2e' },
    );
    onCleanup(() => worker.close());
    const enqueuer = createTypedEnqueuer({ redis: redisUrl(), keyPrefix: stack.keyPrefix, jobs });
    onCleanup(() => enqueuer.close());
    const { jobId, correlationId } = await enqueuer.enqueue(queue, 'summarize', { documentId: 5 }, {
      rooms: ['document:5'],
      correlationId: 'req-e2e',
      attempts: 2,
      backoff: { type: 'fixed', delay: 100 },
    });
    expect(correlationId).toBe('req-e2e');

    const mine = () => events.filter((event) => event.status.jobId === jobId);
    await waitFor(() => mine().some((event) => event.event === 'completed'), 'the completed event', 30_000);
    const received = mine();
    // The failed attempt names its step.
    const failedAttempt = received.find((event) => event.status.willRetry === true);
    expect(failedAttempt?.status.failure).toMatchObject({ step: 'persist' });
    expect(failedAttempt?.status.failure?.lastCompletedStep).toBe('summarize');
    const completed = received.at(-1)!;
    expect(completed.event).toBe('completed');
    expect(completed.status).toMatchObject({
      state: 'completed',
      attempt: 2,
      correlationId: 'req-e2e',
      step: { name: 'notify', status: 'completed', attempt: 2 },
      worker: { pid: process.pid, version: '1.2.3-e2e' },
    });
    expect((completed.status.steps ?? []).map((s) => `${s.name}:${s.status}@${s.attempt}`)).toEqual([
      'fetch:completed@1',
      'summarize:completed@1',
      'persist:failed@1',
      'fetch:skipped@2',
      'summarize:skipped@2',
      'persist:completed@2',
      'notify:completed@2',
    ]);
    // The step and steps keys are lifted out of the public progress, which keeps the percent.
    expect(completed.status.progress).toMatchObject({ percent: 100 });
    expect(completed.status.progress).not.toHaveProperty('steps');
  });
});
