import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Ingestor } from '../../server/ingest/ingestor.js';
import { Reconciler } from '../../server/ingest/reconciler.js';
import type { WorkerView } from '../../server/ingest/workerWatch.js';
import { silentLogger } from '../../server/options.js';
import { createKeys } from '../../server/store/keys.js';
import { queueOnRedis, uniqueName, waitFor } from '../support/harness.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/**
 * A reconciler on a real Redis whose queue has one unfinished job and one route no `added` took,
 * so each of its three periodic passes leaves a trace: the workers' read, and a reconciliation
 * for the sweep and for the pending route.
 */
async function reconcilerWithWork() {
  const { name, redis, queue } = queueOnRedis(inject('redisUrl'), 'passes', cleanups);
  const keys = createKeys(uniqueName('jc'));
  await redis.sadd(keys.queueOpenJobs(name), 'unfinished');
  await redis.sadd(keys.queuePendingRoutes(name), 'routed');
  const passes: string[] = [];
  const ingestor = {
    applyWorkerView: async () => undefined,
    reconcile: async ({ jobIds, reason }: { jobIds: string[]; reason: string }) => {
      passes.push(`${reason} ${jobIds.join(',')}`);
      return true;
    },
  } as unknown as Ingestor;
  const readWorkers = async (): Promise<WorkerView> => {
    passes.push('workers');
    return { workers: ['w'], locks: new Map(), namesTrusted: true, paused: false, checkedAt: Date.now() };
  };
  const reconciler = new Reconciler({ queue, redis, keys, ingestor, sweepIntervalMs: 60_000, readWorkers, logger: silentLogger });
  return { reconciler, passes, redis, keys, name };
}

describe('Reconciler periodic passes', () => {
  it('runs one due pass per call while the read loop is busy, in order, and every due pass at once when it is idle', async () => {
    const busy = await reconcilerWithWork();
    await busy.reconciler.whenCaughtUp('0-0', { busy: true });
    expect(busy.passes).toEqual(['workers']);
    await busy.reconciler.whenCaughtUp('0-0', { busy: true });
    expect(busy.passes).toEqual(['workers', 'vanished unfinished']);
    await busy.reconciler.whenCaughtUp('0-0', { busy: true });
    expect(busy.passes).toEqual(['workers', 'vanished unfinished', 'checked routed']);
    // None is due again before its interval.
    await busy.reconciler.whenCaughtUp('0-0', { busy: false });
    expect(busy.passes).toHaveLength(3);

    const idle = await reconcilerWithWork();
    await idle.reconciler.whenCaughtUp('0-0', { busy: false });
    expect(idle.passes).toEqual(['workers', 'vanished unfinished', 'checked routed']);
  });

  it('takes the checks asked while the read loop is busy (every 200 ms at most), not only when it is idle', async () => {
    const { reconciler, passes, redis, keys, name } = await reconcilerWithWork();
    await reconciler.whenCaughtUp('0-0', { busy: true });
    await redis.sadd(keys.queueChecks(name), 'asked');
    // A busy loop calls after every batch; the check is taken within a few of its calls' 200 ms.
    await waitFor(async () => {
      await reconciler.whenCaughtUp('0-0', { busy: true });
      return passes.includes('checked asked');
    }, 'the check asked, taken by a busy loop');
  });
});
