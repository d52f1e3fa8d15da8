import { afterEach, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import type { ReadAhead } from '../../server/ingest/batchOutcome.js';
import type { Ingestor } from '../../server/ingest/ingestor.js';
import { QueueIngest } from '../../server/ingest/queueIngest.js';
import { QueueLease } from '../../server/ingest/queueLease.js';
import type { Reconciler } from '../../server/ingest/reconciler.js';
import type { StreamEvent } from '../../server/ingest/streamEvent.js';
import type { Logger } from '../../server/options.js';
import { uniqueName, waitFor } from '../support/harness.js';


const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** An entry that is not in the stream: if a batch holds it, it came from what ingestBatch returned, not from a read. */
const notInStream = (): StreamEvent => ({ id: '9999999999999-0', name: 'active', fields: { event: 'active', jobId: 'from-the-tail' } });

/**
 * A queue's read loop on a real Redis, started on a stream holding jobs a and b, with an ingestor
 * that records each batch and answers, after the batch that starts with a, an entry that is not
 * in the stream as the entries after it; and a reconciler that records when it ran.
 */
async function startReadLoop(batchSize: number) {
  const name = uniqueName('qi');
  const redis = new Redis(inject('redisUrl'));
  const blocking = new Redis(inject('redisUrl'));
  const streamKey = `${name}:events`;
  const steps: string[] = [];
  const ingestor = {
    begin: () => undefined,
    markHole: () => undefined,
    ingestBatch: async (events: StreamEvent[]): Promise<ReadAhead> => {
      steps.push(`batch ${events.map((event) => event.fields.jobId).join(',')}`);
      return { events: events[0]?.fields.jobId === 'a' ? [notInStream()] : [], trimmedBefore: false };
    },
  } as unknown as Ingestor;
  const reconciler = {
    markGap: () => undefined,
    whenCaughtUp: async () => {
      if (steps[steps.length - 1] !== 'caught up') steps.push('caught up');
    },
  } as unknown as Reconciler;
  const lease = new QueueLease(redis, `${name}:lease`, `${name}:fence`, 5_000);
  const reader = new QueueIngest({ queue: name, nodeId: 'n1', streamKey, cursorKey: `${name}:last`, blocking, redis, lease, leaseTtlMs: 5_000, ingestor, reconciler, batchSize, blockMs: 200, logger: quiet });
  cleanups.push(async () => {
    await reader.close();
    redis.disconnect();
  });
  const add = (jobId: string) => redis.xadd(streamKey, '*', 'event', 'waiting', 'jobId', jobId);
  await add('a');
  await add('b');
  await reader.start();
  return { add, steps };
}

describe('QueueIngest', () => {
  it("takes a full batch's tail as the next batch, without reading the stream again", async () => {
    const loop = await startReadLoop(2);
    await waitFor(() => loop.steps.includes('batch from-the-tail'), 'the tail ingested');
    expect(loop.steps.slice(0, 2)).toEqual(['batch a,b', 'batch from-the-tail']);
  });

  it('reads the stream again after a batch that was not full: the reconciler runs first, and nothing read before it follows it', async () => {
    const loop = await startReadLoop(10);
    await waitFor(() => loop.steps.includes('caught up'), 'the reconciler to run');
    await loop.add('c');
    await waitFor(() => loop.steps.includes('batch c'), 'the next entry read');
    expect(loop.steps.slice(0, 3)).toEqual(['batch a,b', 'caught up', 'batch c']);
    expect(loop.steps).not.toContain('batch from-the-tail');
  });

  it('warns, naming eventsMaxLen, and reconciles when the stream was trimmed past the stored position', async () => {
    const name = uniqueName('qi-trim');
    const redis = new Redis(inject('redisUrl'));
    const blocking = new Redis(inject('redisUrl'));
    const streamKey = `${name}:events`;
    // Ingested up to an entry that is gone now: the stream starts after it.
    const first = await redis.xadd(streamKey, '*', 'event', 'waiting', 'jobId', 'gone');
    await redis.xadd(streamKey, '*', 'event', 'waiting', 'jobId', 'kept');
    await redis.set(`${name}:last`, first!);
    await redis.xtrim(streamKey, 'MAXLEN', 1);
    const warnings: Array<{ fields: unknown; message: string }> = [];
    const logger: Logger = { ...quiet, warn: (fields: unknown, message?: string) => void warnings.push({ fields, message: message ?? '' }) };
    const gaps: string[] = [];
    const ingestor = { begin: () => undefined, markHole: () => undefined, ingestBatch: async (): Promise<ReadAhead> => ({ events: [], trimmedBefore: false }) } as unknown as Ingestor;
    const reconciler = { markGap: (reason: string) => void gaps.push(reason), whenCaughtUp: async () => undefined } as unknown as Reconciler;
    const lease = new QueueLease(redis, `${name}:lease`, `${name}:fence`, 5_000);
    const reader = new QueueIngest({ queue: name, nodeId: 'n1', streamKey, cursorKey: `${name}:last`, blocking, redis, lease, leaseTtlMs: 5_000, ingestor, reconciler, batchSize: 10, blockMs: 200, logger });
    cleanups.push(async () => {
      await reader.close();
      redis.disconnect();
    });
    await reader.start();
    await waitFor(() => gaps.includes('stream-trimmed'), 'the gap marked');
    const warning = warnings.find(({ message }) => message.includes('eventsMaxLen'));
    expect(warning, JSON.stringify(warnings)).toBeDefined();
    expect(warning!.fields).toMatchObject({ queue: name, after: first });
  });
});
