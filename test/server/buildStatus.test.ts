import { describe, expect, it } from 'vitest';
import type { JobStatus } from '../../shared/index.js';
import { buildStatus, type BuildInput } from '../../server/ingest/buildStatus.js';
import type { JobFacts } from '../../server/ingest/jobFacts.js';
import { silentLogger } from '../../server/options.js';

const facts = (fields: Partial<JobFacts>): JobFacts => ({ name: 'job', opts: { attempts: 3 }, timestamp: 1, attemptsMade: 0, progress: 0, data: undefined, ...fields });
const base = { queue: 'q', jobId: '1', incarnation: '100-0', previous: undefined, job: undefined, exact: false, route: { rooms: ['document:1'], maxAttempts: 3 }, projection: undefined, now: 10, logger: silentLogger };
const step = (name: string, status: 'completed' | 'failed', attempt: number) => ({ name, status, attempt });

/** Builds the statuses of a sequence of events, each from the one before, as the ingest does. */
function run(events: Array<Partial<BuildInput> & { event: BuildInput['event'] }>): JobStatus[] {
  const statuses: JobStatus[] = [];
  for (const input of events) statuses.push(buildStatus({ ...base, ...input, previous: statuses.at(-1) }).status);
  return statuses;
}
const event = (id: string, name: string, fields: Record<string, string> = {}) => ({ id, name, fields: { jobId: '1', ...fields } });

describe('buildStatus', () => {
  it('shows attempt 1 for a job that ran once, even when its record is gone before any read', () => {
    const statuses = run([{ event: event('100-0', 'added', { name: 'job' }) }, { event: event('100-1', 'active') }, { event: event('100-2', 'completed', { returnvalue: '1' }) }]);
    expect(statuses.map((status) => [status.state, status.attempt])).toEqual([
      ['waiting', 1],
      ['active', 1],
      ['completed', 1],
    ]);
    expect(statuses[2]!.finishedAt).toBe(100);
  });

  it('does not count a rate limit or moveToDelayed as an attempt when BullMQ did not', () => {
    const limited = run([
      { event: event('100-1', 'active') },
      { event: event('100-2', 'waiting', { prev: 'active' }), job: facts({ attemptsMade: 0 }) },
      { event: event('100-3', 'active') },
      { event: event('100-4', 'delayed', { delay: '500' }), job: facts({ attemptsMade: 0 }) },
      { event: event('100-5', 'completed'), job: facts({ attemptsMade: 1, finishedOn: 100 }), exact: true },
    ]);
    expect(limited.map((status) => status.attempt)).toEqual([1, 1, 1, 1, 1]);
    // Its record read once it had completed (kept by removeOnComplete: { count }) counts that attempt: still no retry.
    const readFinished = run([{ event: event('100-1', 'active') }, { event: event('100-2', 'delayed', { delay: '500' }), job: facts({ attemptsMade: 1, finishedOn: 100 }) }]);
    expect(readFinished.map((status) => status.attempt)).toEqual([1, 1]);
    expect(limited[1]!.willRetry).toBeUndefined();
  });

  it('counts a retried failure as a new attempt, with or without the record', () => {
    const kept = run([{ event: event('100-1', 'active') }, { event: event('100-2', 'delayed', { delay: '500' }), job: facts({ attemptsMade: 1, failedReason: 'boom' }) }]);
    expect(kept[1]).toMatchObject({ state: 'delayed', attempt: 2, willRetry: true, nextAttemptAt: 500 });
    const removed = run([{ event: event('100-1', 'active') }, { event: event('100-2', 'waiting', { prev: 'active' }) }, { event: event('100-3', 'active') }, { event: event('100-4', 'completed') }]);
    expect(removed.map((status) => status.attempt)).toEqual([1, 2, 2, 2]);
  });

  it('tells a retry from moveToDelayed or a rate limit by where the job\'s retries go, once its record is gone', () => {
    const moved = (retryTo: 'delayed' | 'waiting', name: string, fields: Record<string, string> = {}) =>
      run([{ event: event('100-1', 'active') }, { event: event('100-2', name, fields), route: { rooms: ['document:1'], maxAttempts: 3, retryTo } }]).map((status) => status.attempt);
    // A job with a backoff retries through `delayed`: a `waiting` out of active is a rate limit.
    expect(moved('delayed', 'delayed', { delay: '500' })).toEqual([1, 2]);
    // That count is all the events can say: the status says it was inferred, and keeps saying it.
    const inferred = run([
      { event: event('100-1', 'active') },
      { event: event('100-2', 'delayed', { delay: '500' }), route: { rooms: ['document:1'], maxAttempts: 3, retryTo: 'delayed' } },
      { event: event('100-3', 'active') },
      { event: event('100-4', 'completed') },
    ]);
    expect(inferred.map((status) => status.attemptInferred)).toEqual([undefined, true, true, true]);
    expect(moved('waiting', 'delayed', { delay: '500' })).toEqual([1, 1]);
    expect(moved('delayed', 'waiting', { prev: 'active' })).toEqual([1, 1]);
    // Without one it retries straight to `waiting`: a `delayed` out of active is moveToDelayed.
    expect(moved('waiting', 'waiting', { prev: 'active' })).toEqual([1, 2]);
    expect(moved('waiting', 'delayed', { delay: '500' })).toEqual([1, 1]);
    // No attempt left: never a retry.
    const last = run([{ event: event('100-1', 'active'), route: { rooms: ['document:1'], maxAttempts: 1 } }, { event: event('100-2', 'delayed', { delay: '500' }), route: { rooms: ['document:1'], maxAttempts: 1 } }]);
    expect(last.map((status) => status.attempt)).toEqual([1, 1]);
  });

  it('takes the final attempt count from retries-exhausted when the record is gone', () => {
    const [status] = run([{ event: event('100-1', 'failed', { failedReason: 'boom' }), next: event('100-2', 'retries-exhausted', { attemptsMade: '3' }) }]);
    expect(status).toMatchObject({ state: 'failed', attempt: 3, willRetry: false });
  });

  it('names the failed step and the last completed step of the failing attempt only', () => {
    const steps = [step('fetch', 'completed', 1), step('chunk', 'failed', 1), step('fetch', 'failed', 2)];
    const [status] = run([
      { event: event('100-1', 'failed', { failedReason: 'boom' }), job: facts({ attemptsMade: 2, finishedOn: 100, progress: { step: steps[2], steps } }), exact: true },
    ]);
    expect(status!.attempt).toBe(2);
    expect(status!.failure).toEqual({ code: 'JOB_FAILED', message: 'The job failed.', step: 'fetch' });
  });

  it('names the step that failed in the attempt a retry follows', () => {
    const steps = [step('fetch', 'completed', 1), step('summarize', 'failed', 1)];
    const statuses = run([
      { event: event('100-1', 'active') },
      { event: event('100-2', 'delayed', { delay: '99' }), job: facts({ attemptsMade: 1, failedReason: 'boom', progress: { step: steps[1], steps } }), exact: true },
    ]);
    expect(statuses[1]!.failure).toEqual({ code: 'JOB_FAILED', message: 'The job failed.', step: 'summarize', lastCompletedStep: 'fetch' });
  });

  it('keeps a plain number progress and leaves out BullMQ\'s initial 0', () => {
    const [waiting] = run([{ event: event('100-3', 'waiting'), job: facts({ progress: 0 }), exact: true }]);
    expect(waiting!.progress).toBeUndefined();
    const [moving] = run([{ event: event('100-4', 'progress', { data: '30' }), job: facts({ progress: 30 }) }]);
    expect(moving!.progress).toBe(30);
  });
});
