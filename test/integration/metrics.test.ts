import { afterEach, describe, expect, it } from 'vitest';
import { EVENTS, type WorkerProgress } from '../../shared/index.js';
import { connectRaw, connected, request, startStack, startWorker, uniqueName, waitFor, type TestStack, metric } from '../support/stack.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('metrics', () => {
  it('reports connections, subscriptions by result, deliveries, job events, failed-set size and step durations after a scripted run', async () => {
    const queue = uniqueName('metrics');
    const stack = await startStack({ queues: [queue], channels: { 'document:{id}': (user) => user.id === 'alice' } });
    cleanups.push(() => stack.close());
    const alice = connectRaw(stack.url, 'user:alice');
    const bob = connectRaw(stack.url, 'user:bob');
    cleanups.push(() => alice.close(), () => bob.close());
    await Promise.all([connected(alice), connected(bob)]);
    await request(alice, EVENTS.subscribe, { room: 'document:1' });
    await request(bob, EVENTS.subscribe, { room: 'document:1' });
    await request(bob, EVENTS.subscribe, { room: 'nope_1' });

    const worker = startWorker(queue, async (job) => {
      const step = { name: 'summarize', status: 'completed' as const, durationMs: 1_500, attempt: 1 };
      await job.updateProgress({ percent: 100, step, steps: [step] } satisfies WorkerProgress);
      if (job.name === 'bad') throw new Error('boom');
      return 'ok';
    });
    cleanups.push(() => worker.close());
    await stack.server.enqueue(queue, 'good', {}, { rooms: ['document:1'] });
    await stack.server.enqueue(queue, 'bad', {}, { rooms: ['document:1'], attempts: 1 });
    await waitFor(async () => (await metric(stack, `jobcast_job_events_total{queue="${queue}",event="failed"}`)) === 1, 'the failure to be counted');
    await waitFor(async () => (await metric(stack, `jobcast_job_events_total{queue="${queue}",event="completed"}`)) === 1, 'the completion');

    expect(await metric(stack, 'jobcast_connections')).toBe(2);
    expect(await metric(stack, 'jobcast_subscriptions_total{result="OK"}')).toBe(1);
    expect(await metric(stack, 'jobcast_subscriptions_total{result="FORBIDDEN"}')).toBe(1);
    expect(await metric(stack, 'jobcast_subscriptions_total{result="INVALID_ROOM"}')).toBe(1);
    // Two jobs × (added, active, progress) + completed + failed = 8 events, one subscriber (one final failure is one delivery).
    // BullMQ's `waiting` right after each `added` changes nothing on the page: it is not sent.
    expect(await metric(stack, 'jobcast_broadcasts_total')).toBe(8);
    expect(await metric(stack, 'jobcast_deliveries_total')).toBe(8);
    expect(await metric(stack, `jobcast_failed_jobs{queue="${queue}"}`)).toBe(1);
    expect(await metric(stack, `jobcast_step_duration_seconds_count{queue="${queue}",step="summarize",status="completed"}`)).toBe(2);
    expect(await metric(stack, `jobcast_step_duration_seconds_bucket{le="1",queue="${queue}",step="summarize",status="completed"}`)).toBe(0);
    expect(await metric(stack, `jobcast_step_duration_seconds_bucket{le="2",queue="${queue}",step="summarize",status="completed"}`)).toBe(2);
    // The lag is observed for every event ingested: the 8 sent and the two unsent `waiting`.
    expect(await metric(stack, 'jobcast_ingest_lag_seconds_count')).toBe(10);
    // Every phase of the batches that wrote statuses took some time, counted on the ingest's queue.
    for (const phase of ['read', 'build', 'write', 'broadcast']) expect(await metric(stack, `jobcast_ingest_busy_seconds_total{queue="${queue}",phase="${phase}"}`)).toBeGreaterThan(0);

    // A returning client: one replay from its cursor, one resync from a cursor of another epoch.
    const ack = await request<{ epoch: string; seq: number }>(alice, EVENTS.subscribe, { room: 'document:1' });
    await request(alice, EVENTS.subscribe, { room: 'document:1', since: { epoch: ack.epoch, seq: ack.seq - 2 } });
    await request(alice, EVENTS.subscribe, { room: 'document:1', since: { epoch: 'gone', seq: 3 } });
    expect(await metric(stack, 'jobcast_recoveries_total{outcome="replay"}')).toBe(1);
    expect(await metric(stack, 'jobcast_recoveries_total{outcome="resync:epoch-changed"}')).toBe(1);
  });
});
