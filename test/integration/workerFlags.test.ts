import { afterEach, describe, expect, it } from 'vitest';
import { EVENTS, type StatusEvent, type WorkerProgress } from '../../shared/index.js';
import { connectRaw, connected, request, startStack, startWorker, uniqueName, waitFor, type TestStack } from '../support/stack.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function watch(stack: TestStack, room: string) {
  const socket = connectRaw(stack.url, 'user:alice');
  cleanups.push(() => socket.close());
  const events: StatusEvent[] = [];
  socket.on(EVENTS.status, (event: StatusEvent) => events.push(event));
  await connected(socket);
  await request(socket, EVENTS.subscribe, { room });
  return events;
}

const worker = { host: 'build-7', pid: 4242, version: '1.0.0' };

describe('what the status says about who runs a job', () => {
  it('flags a waiting job when no worker listens on its queue, and not once one does', async () => {
    const queue = uniqueName('flags');
    const stack = await startStack({ queues: [queue] });
    cleanups.push(() => stack.close());
    const events = await watch(stack, 'document:1');
    const { jobId } = await stack.server.enqueue(queue, 'orphan', {}, { rooms: ['document:1'] });
    await waitFor(() => events.some((e) => e.status.jobId === jobId && e.status.state === 'waiting'), 'waiting');
    // The worker view is read before the waiting status is built: the warning comes with it.
    expect(events.find((e) => e.status.jobId === jobId && e.status.state === 'waiting')!.status.warnings).toEqual([
      { code: 'NO_WORKER', message: `No worker listens on queue "${queue}": it waits until one starts.` },
    ]);
    const running = startWorker(queue, async () => 'ok');
    cleanups.push(() => running.close());
    await waitFor(() => events.some((e) => e.status.jobId === jobId && e.event === 'completed'), 'completed');
    expect(events.at(-1)!.status.warnings).toBeUndefined();
  });

  it('lifts the worker helpers progress into the status, flags a stale worker, and names the failed and last completed steps', async () => {
    const queue = uniqueName('flags');
    // Opted in: the worker's host and pid reach every subscriber (by default only debug users).
    const stack = await startStack({ queues: [queue], expectedWorkerVersion: '2.0.0', exposeWorkerIdentity: true });
    cleanups.push(() => stack.close());
    const events = await watch(stack, 'document:2');
    const running = startWorker(queue, async (job) => {
      const fetched = { name: 'fetch', status: 'completed' as const, index: 0, total: 2, durationMs: 5, attempt: 1 };
      const failed = { name: 'summarize', status: 'failed' as const, index: 1, total: 2, durationMs: 3, attempt: 1 };
      const progress: WorkerProgress = { percent: 50, step: failed, steps: [fetched, failed], worker, traceId: 'a'.repeat(32) };
      await job.updateProgress(progress);
      throw new Error('model timed out for customer 123');
    });
    cleanups.push(() => running.close());
    await stack.server.enqueue(queue, 'two-steps', {}, { rooms: ['document:2'], attempts: 1 });
    await waitFor(() => events.some((e) => e.event === 'failed'), 'failed');
    const progress = events.find((e) => e.event === 'progress')!.status;
    expect(progress).toMatchObject({ progress: { percent: 50 }, step: { name: 'summarize', status: 'failed' }, worker, traceId: 'a'.repeat(32) });
    expect(progress.steps?.map((step) => step.name)).toEqual(['fetch', 'summarize']);
    expect(progress.warnings).toEqual([
      { code: 'STALE_WORKER', message: 'Run by a worker on version 1.0.0 (build-7, pid 4242); this server expects 2.0.0.' },
    ]);
    const failed = events.find((e) => e.event === 'failed')!.status;
    expect(failed.failure).toEqual({ code: 'JOB_FAILED', message: 'The job failed.', step: 'summarize', lastCompletedStep: 'fetch' });
    expect(JSON.stringify(events)).not.toContain('customer 123');
  });
});
