import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../client/index.js';
import { formatProgress } from '../../client/react/debug/format.js';
import { groupLogEntries } from '../../client/react/debug/groupLog.js';
import { describeSegment } from '../../client/react/debug/JobTimelineChart.js';
import { bullBoardJobUrl, jobProblems } from '../../client/react/debug/jobProblems.js';
import { toTimelinePicture } from '../../client/react/debug/timelinePicture.js';
import type { JobStatus, JobStep } from '../../shared/index.js';

const T0 = 1_700_000_000_000;
const base: JobStatus = { jobId: 'j1', queue: 'summaries', incarnation: 'i1', state: 'active', attempt: 1, maxAttempts: 4, updatedAt: T0 };
const step = (name: string, status: JobStep['status'], startedAt: number, durationMs: number | undefined, attempt: number): JobStep => ({
  name,
  status,
  startedAt,
  attempt,
  ...(durationMs === undefined ? {} : { durationMs }),
});

describe('formatProgress', () => {
  it('shows percent and step instead of raw JSON', () => {
    expect(formatProgress({ percent: 44.6, data: { detail: 'x' } }, { name: 'summarize', status: 'started', index: 2, total: 4 })).toBe('45 % · summarize (3/4)');
    expect(formatProgress(30)).toBe('30 %');
    expect(formatProgress({ rows: 10, of: 99 })).toBe('custom progress (rows, of)');
  });
});

describe('groupLogEntries', () => {
  it('folds thirty "progress → active" of one job into one row with its seq range and where the progress went', () => {
    const entries: LogEntry[] = Array.from({ length: 30 }, (_, index) => ({
      id: index + 2,
      at: T0 + index,
      kind: 'status',
      room: 'document:1',
      jobId: 'j1',
      seq: index + 2,
      detail: 'progress → active',
    }));
    entries.unshift({ id: 1, at: T0 - 1, kind: 'subscribed', room: 'document:1', seq: 1, detail: 'snapshot: 0 jobs' });
    entries.push({ id: 40, at: T0 + 40, kind: 'status', room: 'document:1', jobId: 'j1', seq: 40, detail: 'completed → completed' });
    const percentOf = (seq: number) => ({ progress: { percent: seq * 3 }, step: { name: 'summarize', status: 'started' as const, index: 2, total: 4 } });
    const groups = groupLogEntries([...entries].reverse(), (entry) => (entry.seq && entry.kind === 'status' ? percentOf(entry.seq) : undefined));
    expect(groups.map((group) => [group.newest.kind, group.count, group.seqs])).toEqual([
      ['status', 1, '40'],
      ['status', 30, '2..31'],
      ['subscribed', 1, '1'],
    ]);
    expect(groups[1]!.progress).toBe('6 % → 93 % · summarize (3/4)');
  });
});

describe('toTimelinePicture', () => {
  it('draws queue time, each attempt with its steps and durations, and the backoff between attempts', () => {
    const status: JobStatus = {
      ...base,
      state: 'active',
      attempt: 2,
      enqueuedAt: T0,
      steps: [
        step('fetch', 'completed', T0 + 100, 800, 1),
        step('summarize', 'failed', T0 + 900, 300, 1),
        step('fetch', 'skipped', T0 + 3_200, 0, 2),
        step('summarize', 'started', T0 + 3_200, undefined, 2),
      ],
    };
    const picture = toTimelinePicture(status, T0 + 4_000)!;
    expect(picture.spanMs).toBe(4_000);
    const words = picture.attempts.map((attempt) => [attempt.attempt, attempt.outcome, attempt.segments.map(describeSegment)]);
    expect(words).toEqual([
      [1, 'failed', ['queued 100 ms', 'fetch ✓ 800 ms', 'summarize ✕ 300 ms', 'backoff 2.0 s']],
      [2, 'running', ['fetch ↷ skipped', 'summarize … 800 ms so far']],
    ]);
  });

  it('shows the backoff a failed attempt waits out, until nextAttemptAt', () => {
    const status: JobStatus = {
      ...base,
      state: 'delayed',
      // A status that will retry is about the coming attempt: attempt 1 failed, attempt 2 is next.
      attempt: 2,
      willRetry: true,
      nextAttemptAt: T0 + 5_000,
      enqueuedAt: T0,
      steps: [step('fetch', 'failed', T0, 1_000, 1)],
    };
    const { attempts } = toTimelinePicture(status, T0 + 2_000)!;
    expect(attempts).toHaveLength(1);
    const [attempt] = attempts;
    expect(attempt!.attempt).toBe(1);
    expect(attempt!.outcome).toBe('retrying');
    expect(attempt!.segments.at(-1)).toMatchObject({ kind: 'backoff', startAt: T0 + 1_000, durationMs: 4_000, open: true });
  });
});

describe('jobProblems', () => {
  it('names warnings, backoff waits, deduplication, vanished records, final failures and carried-over jobs', () => {
    const now = T0;
    const codes = (status: JobStatus, carried?: boolean) =>
      jobProblems(status, { now, ...(carried ? { carriedOver: { fromEpoch: 'e1', toEpoch: 'e2', at: now, lastState: 'active' as const } } : {}) }).map((problem) => problem.code);
    expect(codes({ ...base, state: 'waiting', warnings: [{ code: 'NO_WORKER', message: 'no worker' }] })).toEqual(['NO_WORKER']);
    expect(codes({ ...base, state: 'completed', warnings: [{ code: 'STALE_WORKER', message: 'v2.3.1' }] })).toEqual(['STALE_WORKER']);
    const [lost] = jobProblems({ ...base, state: 'active', warnings: [{ code: 'WORKER_LOST', message: 'worker gone', until: now + 30_000 }] }, { now });
    expect(lost).toMatchObject({ code: 'WORKER_LOST', tone: 'bad' });
    expect(lost!.detail).toMatch(/Its lock runs out at \d\d:\d\d:\d\d\.\d{3} \(in 30\.0 s\)/);
    expect(codes({ ...base, state: 'deduplicated', deduplicatedBy: 'j0' })).toEqual(['DEDUPLICATED']);
    expect(codes({ ...base, state: 'unknown' }, true)).toEqual(['UNKNOWN', 'CARRIED_OVER']);
    expect(codes({ ...base, state: 'failed', attempt: 4, failure: { code: 'JOB_FAILED', message: 'The job failed.', step: 'persist' } })).toEqual(['FAILED']);
    const [backoff] = jobProblems({ ...base, state: 'delayed', attempt: 2, willRetry: true, nextAttemptAt: now + 4_000, failure: { code: 'X', message: 'boom', step: 'chunk' } }, { now });
    expect(backoff!.detail).toMatch(/^Attempt 1 failed at step chunk \(X: boom\)\. Waiting on a backoff until \d\d:\d\d:\d\d\.\d{3} \(in 4\.0 s\), then attempt 2 of 4\.$/);
  });

  it('names a step failure the job caught and went on from, but not one that failed its attempt', () => {
    const swallowed = jobProblems(
      { ...base, state: 'completed', steps: [step('fetch', 'completed', T0, 10, 1), step('transform', 'failed', T0 + 10, 5, 1), step('persist', 'completed', T0 + 20, 5, 1)] },
      { now: T0 },
    );
    expect(swallowed.map((problem) => problem.code)).toEqual(['SWALLOWED']);
    expect(swallowed[0]!.detail).toMatch(/^Step transform \(attempt 1\) failed and the job went on: the error was caught inside the job/);
    // Caught as the last thing the job did, then it completed: swallowed all the same.
    expect(jobProblems({ ...base, state: 'completed', steps: [step('notify', 'failed', T0, 5, 1)] }, { now: T0 }).map((problem) => problem.code)).toEqual(['SWALLOWED']);
    // The step that failed the attempt, then the retry: nothing swallowed.
    const retried: JobStatus = { ...base, state: 'completed', attempt: 2, steps: [step('fetch', 'failed', T0, 5, 1), step('fetch', 'completed', T0 + 1_000, 5, 2)] };
    expect(jobProblems(retried, { now: T0 })).toEqual([]);
    // Still running, its last step just failed: BullMQ's verdict is still to come.
    expect(jobProblems({ ...base, state: 'active', steps: [step('fetch', 'failed', T0, 5, 1)] }, { now: T0 })).toEqual([]);
    // Steps side by side (Promise.all): one failing while the other still runs went on to nothing.
    const parallel = [step('thumbs', 'failed', T0, 0, 1), step('ocr', 'started', T0, undefined, 1)];
    expect(jobProblems({ ...base, state: 'active', steps: parallel }, { now: T0 })).toEqual([]);
  });

  it('names a retry that ran steps an earlier attempt completed, not one that skipped them', () => {
    const rerun: JobStatus = {
      ...base,
      state: 'completed',
      attempt: 2,
      steps: [
        step('charge', 'completed', T0, 10, 1),
        step('persist', 'failed', T0 + 10, 5, 1),
        step('charge', 'completed', T0 + 1_000, 10, 2),
        step('persist', 'completed', T0 + 1_010, 5, 2),
      ],
    };
    const [problem] = jobProblems(rerun, { now: T0 });
    expect(problem).toMatchObject({ code: 'RERUN', tone: 'warn' });
    expect(problem!.detail).toMatch(/^Attempt 2 ran charge again after attempt 1 had completed it: what it does \(a charge, an email, a row\) happened twice unless idempotent\./);
    const checkpointed: JobStatus = { ...rerun, steps: rerun.steps!.map((entry) => (entry.attempt === 2 && entry.name === 'charge' ? { ...entry, status: 'skipped' } : entry)) };
    expect(jobProblems(checkpointed, { now: T0 })).toEqual([]);
  });

  it('says the last completed step of a final failure', () => {
    const [failed] = jobProblems({ ...base, state: 'failed', attempt: 1, maxAttempts: 1, failure: { code: 'JOB_FAILED', message: 'The job failed.', step: 'persist', lastCompletedStep: 'summarize' } }, { now: T0 });
    expect(failed!.detail).toBe('After 1 of 1 attempts at step persist (last completed step: summarize): JOB_FAILED: The job failed.');
  });

  it('links a job to its bull-board page', () => {
    expect(bullBoardJobUrl('/admin/queues/', { queue: 'summaries', jobId: 'a b' })).toBe('/admin/queues/queue/summaries/a%20b');
  });
});
