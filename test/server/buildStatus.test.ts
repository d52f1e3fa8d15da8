import type { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { buildStatus } from '../../server/ingest/buildStatus.js';
import { silentLogger } from '../../server/options.js';

const fakeJob = (fields: Partial<Job>) => ({ name: 'job', opts: { attempts: 3 }, timestamp: 1, attemptsMade: 0, attemptsStarted: 0, ...fields }) as Job;
const base = { queue: 'q', jobId: '1', previous: undefined, route: { rooms: ['document:1'] }, projection: undefined, now: 10, logger: silentLogger };
const failedStep = (attempt: number) => ({ name: 'summarize', status: 'failed' as const, attempt });

describe('buildStatus', () => {
  it('names the failed step of the attempt that failed', () => {
    const job = fakeJob({ attemptsMade: 1, attemptsStarted: 1, failedReason: 'boom', progress: { step: failedStep(1), steps: [failedStep(1)] } });
    const { status } = buildStatus({ ...base, job, event: { id: '1-1', name: 'delayed', fields: { jobId: '1', delay: '99' } } });
    expect(status.failure).toEqual({ code: 'JOB_FAILED', message: 'The job failed.', step: 'summarize' });
  });

  it('does not blame an earlier attempt\'s failed step when a later attempt fails before any step', () => {
    const job = fakeJob({ attemptsMade: 2, attemptsStarted: 2, failedReason: 'boom', progress: { step: failedStep(1), steps: [failedStep(1)] } });
    const { status } = buildStatus({ ...base, job, event: { id: '1-2', name: 'failed', fields: { jobId: '1' } } });
    expect(status.failure).toEqual({ code: 'JOB_FAILED', message: 'The job failed.' });
  });

  it('keeps a plain number progress and leaves out BullMQ\'s initial 0', () => {
    const waiting = buildStatus({ ...base, job: fakeJob({ progress: 0 }), event: { id: '1-3', name: 'waiting', fields: { jobId: '1' } } });
    expect(waiting.status.progress).toBeUndefined();
    const moving = buildStatus({ ...base, job: fakeJob({ progress: 30 }), event: { id: '1-4', name: 'progress', fields: { jobId: '1', data: '30' } } });
    expect(moving.status.progress).toBe(30);
  });
});
