import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { Ingestor } from '../../server/ingest/ingestor.js';
import type { StreamEvent } from '../../server/ingest/streamEvent.js';
import type { Logger } from '../../server/options.js';
import { createKeys } from '../../server/store/keys.js';
import { RoomStore } from '../../server/store/roomStore.js';
import type { StatusEvent } from '../../shared/index.js';
import { queueOnRedis, uniqueName } from '../support/harness.js';

const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** An Ingestor on a real Redis, holding its queue's lease, with job j1 routed to document:1; `workerReads` counts its reads of the workers. */
async function startIngestor(onUnrouted: (queue: string, jobId: string, event: string) => void = () => undefined) {
  const { name, redis, queue } = queueOnRedis(inject('redisUrl'), 'hole', cleanups);
  const keys = createKeys(uniqueName('jc'));
  const store = new RoomStore(redis, keys, { historySize: 100, historyTtlMs: 60_000, snapshotJobs: 10, recordTtlMs: 60_000, maxReplay: 1_000 });
  await redis.set(keys.queueLease(name), '1:test');
  await redis.hset(keys.routeVersions(name, 'j1'), '1-0', JSON.stringify({ rooms: ['document:1'] }));
  const broadcasts: StatusEvent[] = [];
  const workerReads = { count: 0 };
  const ingestor = new Ingestor({
    queue,
    redis,
    store,
    keys,
    projection: undefined,
    broadcast: (event) => broadcasts.push(event),
    logger: quiet,
    batchSize: 100,
    readWorkers: async () => {
      workerReads.count++;
      return { workers: ['w1'], locks: new Map(), namesTrusted: true, paused: false, checkedAt: Date.now() };
    },
    workerViewMaxAgeMs: 60_000,
    onUnrouted,
  });
  ingestor.begin('1:test');
  return { redis, keys, name, ingestor, broadcasts, workerReads };
}

const event = (id: string, name: string): StreamEvent => ({ id, name, fields: { event: name, jobId: 'j1' } });

describe('Ingestor after a hole in the stream', () => {
  it("reads the recorded routes of the batch's cached jobs with the batch, not one job at a time", async () => {
    const { redis, keys, name, ingestor, broadcasts } = await startIngestor();
    await ingestor.ingestBatch([event('2-0', 'added')], { readNext: false });
    expect(broadcasts.map((sent) => sent.status.state)).toEqual(['waiting']);
    // Entries after 2-0 were trimmed away unread: j1's cached record now predates a hole.
    ingestor.markHole('2-0');
    const readsOneByOne = vi.spyOn(redis, 'hgetall');
    await ingestor.ingestBatch([event('5-0', 'active')], { readNext: false });
    expect(broadcasts.map((sent) => sent.status.state)).toEqual(['waiting', 'active']);
    expect(readsOneByOne.mock.calls.filter(([key]) => key === keys.routeVersions(name, 'j1'))).toEqual([]);
  });
});

describe('Ingestor cache', () => {
  it("keeps a finished job's record for the batch read ahead before the job finished, though the cache drops it", async () => {
    const unrouted: string[] = [];
    const { redis, keys, name, ingestor, broadcasts } = await startIngestor((_queue, jobId, name) => unrouted.push(`${jobId} ${name}`));
    const stream = `bull:${name}:events`;
    const entries: Array<[string, string]> = [['2-0', 'added'], ['3-0', 'active'], ['4-0', 'completed'], ['5-0', 'removed']];
    for (const [id, kind] of entries) await redis.xadd(stream, id, 'event', kind, 'jobId', 'j1');
    // The first three make a batch; its writes finish j1, and the next batch (its removal) is read right behind them.
    const next = await ingestor.ingestBatch(entries.slice(0, 3).map(([id, kind]) => event(id, kind)), { readNext: true });
    expect(next.events.map((entry) => entry.id)).toEqual(['5-0']);
    await ingestor.ingestBatch(next.events, { readNext: true });
    expect(unrouted).toEqual([]);
    expect(broadcasts.map((sent) => [sent.room, sent.event])).toEqual([
      ['document:1', 'added'],
      ['document:1', 'active'],
      ['document:1', 'completed'],
      ['document:1', 'removed'],
    ]);
    expect(JSON.parse((await redis.hget(keys.job(name, 'j1'), 'route'))!)).toMatchObject({ rooms: ['document:1'] });
  });
});

describe('Ingestor worker view', () => {
  it("reads the workers inside a batch only when the reconciler's last read is older than workerViewMaxAgeMs", async () => {
    const { ingestor, broadcasts, workerReads } = await startIngestor();
    const view = (ageMs: number) => ({ workers: ['w1'], locks: new Map(), namesTrusted: true, paused: false, checkedAt: Date.now() - ageMs });
    // The reconciler's read is fresh (1 s old; the limit is 60 s): the waiting job's status uses it.
    await ingestor.applyWorkerView(view(1_000), []);
    await ingestor.ingestBatch([event('2-0', 'added')], { readNext: false });
    expect(broadcasts.map((sent) => sent.status.state)).toEqual(['waiting']);
    expect(workerReads.count).toBe(0);
    // Late (two minutes old): the batch reads the workers itself, once.
    await ingestor.applyWorkerView(view(120_000), []);
    await ingestor.ingestBatch([event('3-0', 'waiting')], { readNext: false });
    expect(workerReads.count).toBe(1);
  });
});
