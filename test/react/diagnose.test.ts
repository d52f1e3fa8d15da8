import { describe, expect, it } from 'vitest';
import { diagnose } from '../../client/react/index.js';
import type { ServerReportResult } from '../../client/react/index.js';
import type { ClientDiagnostics, ConnectionSnapshot, LogEntry, RoomDiagnostics, RoomSnapshot } from '../../client/index.js';
import type { JobStatus, RoomDebugReport, StatusEvent, WireError } from '../../shared/index.js';

const ROOM = 'document:1';
const EPOCH = 'e1';
const connected: ConnectionSnapshot = { state: 'connected', attempt: 0, transport: 'websocket', nodeId: 'n1', timeline: [] };
const noGaps = { detected: 0, replayed: 0, resynced: 0, ranges: [] };

const status = (jobId: string, state: JobStatus['state'] = 'completed'): JobStatus => ({
  jobId,
  queue: 'q',
  incarnation: 'i1',
  state,
  attempt: 1,
  maxAttempts: 3,
  updatedAt: 1_000,
});

function room(overrides: Partial<RoomSnapshot> = {}, refCount = 1): RoomDiagnostics {
  return {
    room: overrides.room ?? ROOM,
    refCount,
    snapshot: { room: ROOM, state: 'active', epoch: EPOCH, seq: 0, jobs: {}, gaps: noGaps, ...overrides },
    counters: { received: 0, applied: 0, duplicates: 0 },
  };
}

function client(rooms: RoomDiagnostics[], extra: { connection?: ConnectionSnapshot; log?: LogEntry[] } = {}): ClientDiagnostics {
  return { connection: extra.connection ?? connected, rooms, log: extra.log ?? [] };
}

const event = (seq: number, jobId = 'j1'): StatusEvent => ({ room: ROOM, epoch: EPOCH, seq, event: 'completed', status: status(jobId), at: 1_000 });

function report(overrides: Partial<RoomDebugReport> = {}): ServerReportResult {
  const seq = overrides.seq ?? 0;
  return {
    ok: true,
    report: {
      room: ROOM,
      nodes: ['n1'],
      epoch: EPOCH,
      seq,
      stats: { room: ROOM, broadcasts: seq, delivered: seq, unheard: 0, subscribers: 1 },
      recent: [],
      rejections: [],
      nearMisses: [],
      ...overrides,
    },
  };
}

const statusLog = (seq: number, jobId = 'j1'): LogEntry => ({ id: seq, at: 1_000, kind: 'status', room: ROOM, jobId, seq, latencyMs: 5 });
const byId = (diagnosis: ReturnType<typeof diagnose>) => Object.fromEntries(diagnosis.hops.map((hop) => [hop.id, hop]));

describe('diagnose', () => {
  it('passes every hop for a room that received what the server broadcast', () => {
    const result = diagnose({
      room: ROOM,
      client: client([room({ seq: 2, jobs: { j1: status('j1') } })], { log: [statusLog(1), statusLog(2)] }),
      server: report({ seq: 2, recent: [event(1), event(2)] }),
    });
    expect(result.firstFailure).toBeUndefined();
    expect(result.hops.map((hop) => [hop.id, hop.ok])).toEqual([
      ['connected', true],
      ['subscribed', true],
      ['authorized', true],
      ['job', true],
      ['broadcast', true],
      ['received', true],
      ['listener', true],
    ]);
    expect(result.hops.map((hop) => hop.label)).toEqual([
      'Connected?',
      'Subscribed?',
      'Authorized?',
      'Can the job progress?',
      'Did the server broadcast anything?',
      'Did the client receive it?',
      'Was a listener attached?',
    ]);
  });

  it('names "connected" first when the connection is down, with its reason and error', () => {
    const error: WireError = { code: 'UNAUTHENTICATED', message: 'Authentication failed.' };
    const connection: ConnectionSnapshot = { state: 'disconnected', attempt: 0, reason: 'connect_error', error, timeline: [] };
    const result = diagnose({ room: ROOM, client: client([room({ state: 'pending' })], { connection }) });
    expect(result.firstFailure).toBe('connected');
    expect(byId(result).connected!.detail).toBe('the connection is disconnected (reason: connect_error; UNAUTHENTICATED: Authentication failed.)');
  });

  it('names "subscribed" for a room the client does not hold, and suggests a held one that looks alike', () => {
    const result = diagnose({ room: 'Document:1', client: client([room()]) });
    expect(result.firstFailure).toBe('subscribed');
    expect(byId(result).subscribed!.detail).toContain('the client holds "document:1"');
    expect(byId(result).listener!.ok).toBe(false);
  });

  it('names "authorized" with "not authorized" for FORBIDDEN', () => {
    const error: WireError = { code: 'FORBIDDEN', message: 'You are not allowed to subscribe to "document:1".' };
    const result = diagnose({ room: ROOM, client: client([room({ state: 'rejected', error, epoch: undefined })]) });
    expect(result.firstFailure).toBe('authorized');
    expect(byId(result).subscribed!.ok).toBe(true);
    expect(byId(result).authorized!.detail).toBe('not authorized: You are not allowed to subscribe to "document:1".');
  });

  it('names "authorized" with "wrong room name" and the hint for INVALID_ROOM', () => {
    const error: WireError = { code: 'INVALID_ROOM', message: 'No channel pattern matches "documents:1".', hint: 'Did you mean "document:1"?' };
    const result = diagnose({ room: 'documents:1', client: client([room({ room: 'documents:1', state: 'rejected', error })]) });
    expect(result.firstFailure).toBe('authorized');
    expect(byId(result).authorized!.detail).toBe('wrong room name: No channel pattern matches "documents:1". Hint: Did you mean "document:1"?');
  });

  it('names "authorized" from the server\'s rejections when the client no longer holds the room', () => {
    const server = report({ rejections: [{ at: 1, room: ROOM, code: 'FORBIDDEN', message: 'nope' }] });
    const result = diagnose({ room: ROOM, client: client([]), server });
    expect(result.firstFailure).toBe('subscribed');
    expect(byId(result).authorized).toMatchObject({ ok: false, detail: 'the server refused it earlier: FORBIDDEN: nope' });
  });

  it('leaves "authorized" unknown while the subscribe is unanswered', () => {
    const result = diagnose({ room: ROOM, client: client([room({ state: 'pending', epoch: undefined })]) });
    expect(byId(result).authorized!.ok).toBe('unknown');
    expect(result.firstFailure).toBeUndefined();
  });

  it('names "broadcast" when the server published nothing, and where the events went instead', () => {
    const server = report({ nearMisses: [{ eventsRoom: 'document:01', subscribedRoom: ROOM, reason: 'similar name' }] });
    const result = diagnose({ room: ROOM, client: client([room()]), server });
    expect(result.firstFailure).toBe('broadcast');
    expect(byId(result).broadcast!.detail).toBe('the server has broadcast nothing to "document:1"; events go to "document:01" (similar name)');
    expect(byId(result).received!.ok).toBe('unknown');
  });

  it('names "broadcast" for a job the server sent nothing about, although the room had events', () => {
    const server = report({ seq: 1, recent: [event(1, 'other')] });
    const result = diagnose({ room: ROOM, jobId: 'j1', client: client([room({ seq: 1, jobs: { other: status('other') } })]), server });
    expect(result.firstFailure).toBe('broadcast');
    expect(byId(result).broadcast!.detail).toContain('nothing for job j1 in its recent history');
  });

  it('leaves "broadcast" unknown without a server report or when the endpoint refused', () => {
    expect(byId(diagnose({ room: ROOM, client: client([room()]) })).broadcast!.ok).toBe('unknown');
    const refused: ServerReportResult = { ok: false, error: { code: 'FORBIDDEN', message: 'no debug access' } };
    const hop = byId(diagnose({ room: ROOM, client: client([room()]), server: refused })).broadcast!;
    expect(hop).toMatchObject({ ok: 'unknown', detail: "the server's debug endpoint answered FORBIDDEN: no debug access" });
  });

  it('names "received" with the missing range when the client is behind the server', () => {
    const gaps = { detected: 1, replayed: 0, resynced: 0, ranges: [{ from: 3, to: 4, at: 1, outcome: 'pending' as const }] };
    const server = report({ seq: 5, recent: [event(3), event(4), event(5)] });
    const result = diagnose({ room: ROOM, client: client([room({ seq: 2, gaps })], { log: [statusLog(1), statusLog(2)] }), server });
    expect(result.firstFailure).toBe('received');
    expect(byId(result).received!.detail).toBe('the client is at seq 2, the server at 5: missed 3..5; gap 3..4 still being repaired');
  });

  it('names "received" when the cursors belong to different epochs', () => {
    const server = report({ seq: 3, epoch: 'e2', recent: [event(3)] });
    const result = diagnose({ room: ROOM, client: client([room({ seq: 9 })]), server });
    expect(result.firstFailure).toBe('received');
    expect(byId(result).received!.detail).toContain('epoch e1, the server is in e2');
  });

  it('names "received" for a job the server broadcast but the client never got', () => {
    const server = report({ seq: 1, recent: [event(1, 'j1')] });
    const result = diagnose({ room: ROOM, jobId: 'j1', client: client([room({ seq: 1 })]), server });
    expect(result.firstFailure).toBe('received');
    expect(byId(result).received!.detail).toContain('the client has no status for job j1');
  });

  it('names "listener" when the room is only waiting out its unsubscribe delay', () => {
    const result = diagnose({ room: ROOM, client: client([room({ seq: 1, jobs: { j1: status('j1') } }, 0)], { log: [statusLog(1)] }), server: report({ seq: 1, recent: [event(1)] }) });
    expect(result.firstFailure).toBe('listener');
    expect(byId(result).listener!.detail).toContain('no component or handle listens any more');
  });

  it('returns the first failure, not a later one, when several hops fail', () => {
    const connection: ConnectionSnapshot = { state: 'reconnecting', attempt: 3, reason: 'transport close', timeline: [] };
    const result = diagnose({ room: ROOM, client: client([room({ state: 'pending' }, 0)], { connection }), server: report() });
    expect(result.hops.filter((hop) => hop.ok === false).map((hop) => hop.id)).toEqual(['connected', 'broadcast', 'listener']);
    expect(result.firstFailure).toBe('connected');
  });

  it('names "job" when no worker listens on the queue of a waiting job, or its record vanished', () => {
    const waiting = { ...status('j1', 'waiting'), warnings: [{ code: 'NO_WORKER' as const, message: 'No worker listens on queue "q".' }] };
    const result = diagnose({ room: ROOM, jobId: 'j1', client: client([room({ seq: 1, jobs: { 'q/j1': waiting } })], { log: [statusLog(1)] }) });
    expect(result.firstFailure).toBe('job');
    expect(byId(result).job!.detail).toBe('job j1 is waiting: no worker listens on queue "q" (NO_WORKER)');
    const lost = diagnose({ room: ROOM, jobId: 'j1', client: client([room({ seq: 1, jobs: { 'q/j1': status('j1', 'unknown') } })], { log: [statusLog(1)] }) });
    expect(lost.firstFailure).toBe('job');
    expect(byId(lost).job!.detail).toContain('its record vanished');
    expect(byId(lost).job!.detail).toContain('eventsMaxLen');
  });

  it('is never all green for a job waiting out a backoff, deduplicated, or carried over an epoch change', () => {
    const check = (job: JobStatus) => diagnose({ room: ROOM, client: client([room({ seq: 1, jobs: { [`q/${job.jobId}`]: job } })], { log: [statusLog(1, job.jobId)] }), now: 10_000 });
    const backoff = check({ ...status('j1', 'delayed'), attempt: 2, willRetry: true, nextAttemptAt: 14_000, failure: { code: 'X', message: 'boom', step: 'chunk' } });
    expect(byId(backoff).job).toMatchObject({ ok: 'unknown' });
    expect(byId(backoff).job!.detail).toMatch(/^attempt 1 of job j1 failed at step chunk; it waits on a backoff until \d\d:\d\d:\d\d\.\d{3} \(4\.0 s from now\), then runs attempt 2 of 3$/);
    expect(byId(check({ ...status('j2', 'deduplicated'), deduplicatedBy: 'j1' })).job).toMatchObject({ ok: 'unknown', detail: expect.stringContaining('job j1 already does this work') });
    const carried = { ...status('j3', 'completed'), carriedOver: { fromEpoch: 'e0', toEpoch: EPOCH, at: 5_000, lastState: 'completed' as const } };
    expect(byId(check(carried)).job).toMatchObject({ ok: 'unknown', detail: expect.stringContaining('carried over from epoch e0') });
  });

  it('leaves "job" unknown for a finished job whose step failed inside it with the error caught', () => {
    const swallowed: JobStatus = {
      ...status('j1', 'completed'),
      steps: [
        { name: 'transform', status: 'failed', startedAt: 100, durationMs: 5, attempt: 1 },
        { name: 'persist', status: 'completed', startedAt: 110, durationMs: 5, attempt: 1 },
      ],
    };
    const result = diagnose({ room: ROOM, jobId: 'j1', client: client([room({ seq: 1, jobs: { 'q/j1': swallowed } })], { log: [statusLog(1)] }) });
    expect(byId(result).job).toEqual({
      id: 'job',
      label: 'Can the job progress?',
      ok: 'unknown',
      detail: 'job j1 is completed, but step transform failed inside it and the error was caught: BullMQ never saw that failure',
    });
  });

  it('says a failed job\'s record is gone when the server found none for it (removeOnFail)', () => {
    const failed: JobStatus = { ...status('j1', 'failed'), failure: { code: 'JOB_FAILED', message: 'The job failed.', step: 'persist' } };
    const input = { room: ROOM, jobId: 'j1', client: client([room({ seq: 1, jobs: { 'q/j1': failed } })], { log: [statusLog(1)] }) };
    const gone = diagnose({ ...input, server: report({ seq: 1, recent: [event(1)], job: { queue: 'q', jobId: 'j1', state: 'unknown' } }) });
    expect(byId(gone).job).toMatchObject({ ok: true, detail: expect.stringMatching(/^job j1 is failed for good after 1 attempt\(s\): JOB_FAILED: The job failed\.; BullMQ no longer holds its record \(removed on failure, e\.g\. removeOnFail, or cleaned\)/) });
    const kept = diagnose({ ...input, server: report({ seq: 1, recent: [event(1)], job: { queue: 'q', jobId: 'j1', state: 'failed', failedReason: 'boom' } }) });
    expect(byId(kept).job!.detail).toBe('job j1 is failed for good after 1 attempt(s): JOB_FAILED: The job failed.');
  });
});
