import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Redis } from 'ioredis';
import { createKeys } from '../../server/store/keys.js';
import { RoomStore, type EventBody } from '../../server/store/roomStore.js';
import { uniqueName } from '../support/stack.js';

const redis = new Redis(inject('redisUrl'));
afterAll(() => redis.quit());

function store() {
  const keys = createKeys(uniqueName('store'));
  return new RoomStore(redis, keys, { historySize: 100, historyTtlMs: 60_000, snapshotJobs: 10, resultsKept: 100, maxReplay: 1_000 });
}

const body = (event: EventBody['event'], state: EventBody['status']['state'], attempt: number): EventBody => ({
  event,
  status: { jobId: 'j1', queue: 'q', incarnation: 'i1', state, attempt, maxAttempts: 3, updatedAt: 1 },
  at: 1,
});
const ingest = (s: RoomStore, eventId: string | undefined, b: EventBody, watermark?: string) =>
  s.ingest({ queue: 'q', jobId: 'j1', rooms: ['document:1'], body: b, terminal: false, eventId, ...(watermark ? { watermark } : {}) });

describe('RoomStore', () => {
  it('assigns each stream event its cursor once, and hands later callers the first result', async () => {
    const s = store();
    const first = await ingest(s, '100-1', body('active', 'active', 1));
    const again = await ingest(s, '100-1', body('active', 'active', 7));
    expect(first).toMatchObject({ fresh: true, cursors: [{ room: 'document:1', seq: 1 }] });
    expect(again).toMatchObject({ fresh: false, cursors: [{ room: 'document:1', seq: 1 }] });
    expect(again.body?.status.attempt).toBe(1);
  });

  it('never lets a job\'s attempt go back on screen, whichever node built the status', async () => {
    const s = store();
    await ingest(s, '100-1', body('active', 'active', 2));
    const older = await ingest(s, '100-2', body('progress', 'active', 1));
    expect(older.body?.status.attempt).toBe(2);
    const read = await s.readRoom('document:1', undefined);
    expect(read.events.at(-1)?.status.attempt).toBe(2);
  });

  it('drops stream events that are older than a reconciled state already published for the job', async () => {
    const s = store();
    await ingest(s, '100-1', body('active', 'active', 1));
    const reconciled = await ingest(s, undefined, body('reconciled', 'completed', 1), '100-5');
    expect(reconciled.fresh).toBe(true);
    const late = await ingest(s, '100-3', body('progress', 'active', 1));
    expect(late).toMatchObject({ stale: true, body: undefined, cursors: [] });
    const after = await ingest(s, '100-6', body('removed', 'removed', 1));
    expect(after).toMatchObject({ fresh: true, cursors: [{ seq: 3 }] });
  });

  it('drops a reconciliation that was read before an event of the job already published', async () => {
    const s = store();
    await ingest(s, '100-1', body('active', 'active', 1));
    await ingest(s, '100-4', body('completed', 'completed', 1));
    const late = await ingest(s, undefined, body('reconciled', 'active', 1), '100-2');
    expect(late).toMatchObject({ stale: true, cursors: [] });
    expect((await s.readRoom('document:1', undefined)).events.at(-1)?.status.state).toBe('completed');
  });

  it('starts a new job version when a job id is added again', async () => {
    const s = store();
    await ingest(s, '100-1', body('active', 'active', 3));
    const readded = await ingest(s, '100-2', body('added', 'waiting', 0));
    expect(readded.body?.status.attempt).toBe(0);
  });
});
