/**
 * Fixed data for the panel gallery: one room with a job in each situation the panel names
 * (running with thirty progress events, retrying after a backoff, no worker, worker lost, stale worker,
 * deduplicated, lost and carried over, failed for good, a swallowed failure, steps run again), a
 * refused room, a replayed gap.
 */
import type { ClientDiagnostics, LogEntry, RoomDiagnostics } from '../../../client/index.js';
import { jobKeyOf } from '../../../shared/identity.js';
import type { JobStatus, JobStep, LifecycleEvent, StatusEvent } from '../../../shared/index.js';

const ROOM = 'document:1';
const QUEUE = 'summaries';
const STEPS = ['fetch', 'chunk', 'summarize', 'persist'];

const step = (index: number, status: JobStep['status'], startedAt: number, durationMs: number | undefined, attempt = 1): JobStep => ({
  name: STEPS[index]!,
  status,
  index,
  total: 4,
  startedAt,
  attempt,
  ...(durationMs === undefined ? {} : { durationMs }),
});

/** The gallery's statuses, events and client state, dated from `now`. */
export function buildFixtures(now: number): { diagnostics: ClientDiagnostics; events: StatusEvent[] } {
  const t = (secondsAgo: number) => now - secondsAgo * 1_000;
  const job = (jobId: string, fields: Partial<JobStatus>): JobStatus => ({
    jobId,
    queue: QUEUE,
    incarnation: `${jobId}-1`,
    name: 'summarize',
    state: 'active',
    attempt: 1,
    maxAttempts: 4,
    correlationId: `c0ffee${jobId.padStart(2, '0')}-4d2a-4c1b-9e55-0c1d2e3f4a5b`,
    worker: { host: 'worker-1', pid: 4242, version: '2.4.0' },
    updatedAt: now,
    ...fields,
  });
  const events: StatusEvent[] = [];
  let seq = 0;
  const push = (event: LifecycleEvent, status: JobStatus, latencyMs = 14) => {
    events.push({ room: ROOM, epoch: 'e-7f3a', seq: ++seq, event, status, at: status.updatedAt - latencyMs });
  };

  // 41: running, thirty progress events through summarize.
  const running = { enqueuedAt: t(9), startedAt: t(8.8) };
  push('added', job('41', { ...running, state: 'waiting', updatedAt: t(9) }));
  push('active', job('41', { ...running, updatedAt: t(8.8) }));
  for (let tick = 0; tick < 30; tick++) {
    const at = t(8.6 - tick * 0.2);
    const index = tick < 6 ? 0 : tick < 12 ? 1 : 2;
    const steps = [step(0, tick < 6 ? 'started' : 'completed', t(8.6), tick < 6 ? undefined : 1_200)];
    if (index >= 1) steps.push(step(1, tick < 12 ? 'started' : 'completed', t(7.4), tick < 12 ? undefined : 1_200));
    if (index >= 2) steps.push(step(2, 'started', t(6.2), undefined));
    const progress = { percent: Math.round(5 + tick * 2.1), data: { detail: index === 2 ? `Scoring chunk ${1 + Math.floor((tick - 12) / 6)} of 3` : 'Reading' } };
    push('progress', job('41', { ...running, progress, step: steps.at(-1)!, steps, updatedAt: at }));
  }
  // 38: attempt 1 failed at summarize, waiting out its backoff.
  const retrying = job('38', {
    state: 'delayed',
    attempt: 2,
    willRetry: true,
    nextAttemptAt: now + 6_000,
    enqueuedAt: t(12),
    startedAt: t(11.8),
    failure: { code: 'INJECTED_FAULT', message: 'The summarizer failed on purpose.', step: 'summarize' },
    steps: [step(0, 'completed', t(11.8), 900), step(1, 'completed', t(10.9), 700), step(2, 'failed', t(10.2), 400)],
    progress: { percent: 50 },
    updatedAt: t(9.8),
  });
  push('retrying', retrying);
  // 44: nobody listens on the queue.
  push('added', job('44', { state: 'waiting', enqueuedAt: t(20), updatedAt: t(20), warnings: [{ code: 'NO_WORKER', message: `No worker listens on queue "${QUEUE}".` }] }));
  // 35: run by an old worker.
  const done = [step(0, 'completed', t(40), 800), step(1, 'completed', t(39.2), 600), step(2, 'completed', t(38.6), 1_300), step(3, 'completed', t(37.3), 500)];
  push('completed', job('35', { state: 'completed', enqueuedAt: t(41), startedAt: t(40), finishedAt: t(36.8), steps: done, progress: { percent: 100 }, updatedAt: t(36.8), worker: { host: 'worker-old', pid: 1717, version: '2.3.1' }, warnings: [{ code: 'STALE_WORKER', message: 'Ran on version 2.3.1; the server expects 2.4.0.' }] }));
  // 46: its worker was killed mid-step; the lock has not run out yet.
  push('active', job('46', { enqueuedAt: t(16), startedAt: t(15.8), steps: [step(0, 'completed', t(15.8), 900), step(1, 'started', t(14.9), undefined)], step: step(1, 'started', t(14.9), undefined), progress: { percent: 30 }, updatedAt: t(14.9), warnings: [{ code: 'WORKER_LOST', message: 'Worker worker-2 (pid 5151) stopped renewing the lock.', until: now + 25_000 }] }));
  // 45: a second click while 41 runs.
  push('deduplicated', job('45', { state: 'deduplicated', deduplicatedBy: '41', enqueuedAt: t(5), updatedAt: t(5) }));
  // 30: failed for good at persist after four attempts.
  const failedSteps = [1, 2, 3, 4].flatMap((attempt) => {
    const start = t(90 - (attempt - 1) * 12);
    return attempt === 1
      ? [step(0, 'completed', start, 800, 1), step(1, 'completed', start + 800, 600, 1), step(2, 'completed', start + 1_400, 1_200, 1), step(3, 'failed', start + 2_600, 300, 1)]
      : [step(0, 'skipped', start, 0, attempt), step(1, 'skipped', start, 0, attempt), step(2, 'skipped', start, 0, attempt), step(3, 'failed', start + 50, 300, attempt)];
  });
  push('failed', job('30', { state: 'failed', attempt: 4, enqueuedAt: t(91), startedAt: t(90), finishedAt: t(53.6), steps: failedSteps, failure: { code: 'JOB_FAILED', message: 'The job failed.', step: 'persist' }, updatedAt: t(53.6) }));
  // 47: completed, but step chunk failed and the job caught the error and went on.
  const swallowed = [step(0, 'completed', t(70), 800), step(1, 'failed', t(69.2), 200), step(2, 'completed', t(69), 1_100), step(3, 'completed', t(67.9), 400)];
  push('completed', job('47', { state: 'completed', enqueuedAt: t(71), startedAt: t(70), finishedAt: t(67.5), steps: swallowed, progress: { percent: 100 }, updatedAt: t(67.5) }));
  // 48: completed on attempt 2, which ran fetch and chunk again (no checkpoint).
  const rerun = [
    step(0, 'completed', t(110), 800, 1),
    step(1, 'completed', t(109.2), 600, 1),
    step(2, 'failed', t(108.6), 300, 1),
    step(0, 'completed', t(104), 800, 2),
    step(1, 'completed', t(103.2), 600, 2),
    step(2, 'completed', t(102.6), 1_200, 2),
    step(3, 'completed', t(101.4), 400, 2),
  ];
  push('completed', job('48', { state: 'completed', attempt: 2, enqueuedAt: t(111), startedAt: t(110), finishedAt: t(101), steps: rerun, progress: { percent: 100 }, updatedAt: t(101) }));
  // 12: lost in an epoch change.
  const lost = { ...job('12', { state: 'unknown', enqueuedAt: t(300), startedAt: t(299), updatedAt: t(120) }), carriedOver: { fromEpoch: 'e-51c0', toEpoch: 'e-7f3a', at: t(120), lastState: 'active' as const } };

  const latest = new Map<string, JobStatus>();
  for (const event of events) latest.set(jobKeyOf(event.status), event.status);
  latest.set(jobKeyOf(lost), lost);
  const room: RoomDiagnostics = {
    room: ROOM,
    refCount: 2,
    snapshot: {
      room: ROOM,
      state: 'active',
      subscription: 'subscribed',
      epoch: 'e-7f3a',
      seq,
      jobs: Object.fromEntries(latest),
      lastEventAt: now,
      gaps: { detected: 2, replayed: 1, resynced: 1, ranges: [{ from: 12, to: 19, at: t(30), outcome: 'replayed' }, { from: 1, to: 1, at: t(120), outcome: 'resynced', reason: 'epoch-changed' }] },
    },
    counters: { received: seq + 3, applied: seq, duplicates: 3 },
    timeline: [],
  };
  const refused: RoomDiagnostics = {
    room: 'document:2',
    refCount: 1,
    snapshot: { room: 'document:2', state: 'rejected', subscription: 'rejected', seq: 0, jobs: {}, error: { code: 'FORBIDDEN', message: 'You are not allowed to subscribe to "document:2".', hint: 'The rule "document:{id}" refused user bob.' }, gaps: { detected: 0, replayed: 0, resynced: 0, ranges: [] } },
    counters: { received: 0, applied: 0, duplicates: 0 },
    timeline: [],
  };
  let id = 0;
  const entry = (fields: Omit<LogEntry, 'id'>): LogEntry => ({ id: ++id, ...fields });
  const log: LogEntry[] = [
    entry({ at: t(130), kind: 'connect', detail: 'transport websocket' }),
    entry({ at: t(130), kind: 'hello', detail: 'node node-69e78079, protocol 1, history 500 events / 86400000 ms' }),
    entry({ at: t(129), kind: 'subscribe', room: ROOM, detail: 'fresh' }),
    entry({ at: t(129), kind: 'rejected', room: 'document:2', code: 'FORBIDDEN', message: 'You are not allowed to subscribe to "document:2".' }),
    entry({ at: t(120), kind: 'resync', room: ROOM, seq: 0, detail: 'epoch-changed' }),
    ...events.map((event) =>
      entry({ at: event.status.updatedAt, kind: 'status', room: ROOM, jobId: event.status.jobId, seq: event.seq, correlationId: event.status.correlationId!, latencyMs: 14, detail: `${event.event} → ${event.status.state}` }),
    ),
  ]
    .sort((a, b) => a.at - b.at)
    .map((logged, index) => ({ ...logged, id: index + 1 }));
  const connection = {
    state: 'connected' as const,
    attempt: 0,
    transport: 'websocket',
    nodeId: 'node-69e78079',
    connectedAt: t(130),
    window: { historySize: 500, historyTtlMs: 86_400_000 },
    timeline: [
      { at: t(131), state: 'connecting' as const },
      { at: t(130), state: 'connected' as const },
    ],
  };
  return { diagnostics: { connection, rooms: [room, refused], log }, events };
}
