import { describe, expect, it } from 'vitest';
import { JobTimelineRecorder } from '../../client/react/debug/jobTimelines.js';
import type { ClientDiagnostics, JobcastClient, JobcastRoom, RoomSnapshot } from '../../client/index.js';
import type { JobStatus, StatusEvent } from '../../shared/index.js';

const status = (jobId: string, state: JobStatus['state'], updatedAt: number, step?: string): JobStatus => ({
  jobId,
  queue: 'q',
  incarnation: 'i1',
  state,
  attempt: 1,
  maxAttempts: 1,
  updatedAt,
  ...(step ? { step: { name: step, status: 'started' } } : {}),
});

/** A client with one held room whose store has the core's event hook, driven by hand. */
function fakeClient(jobs: Record<string, JobStatus> = {}) {
  const listeners = new Set<(event: StatusEvent) => void>();
  const noop = { getSnapshot: () => [], subscribe: () => () => undefined };
  const snapshot: RoomSnapshot = { room: 'document:1', state: 'active', seq: 0, jobs, gaps: { detected: 0, replayed: 0, resynced: 0, ranges: [] } };
  const store = {
    room: 'document:1',
    getSnapshot: () => snapshot,
    subscribe: () => {
      throw new Error('the recorder must not hold the room');
    },
    onEvent: (listener: (event: StatusEvent) => void) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  } satisfies JobcastRoom & Record<string, unknown>;
  let held = true;
  const client = {
    log: noop,
    connection: noop,
    room: () => store,
    inspect: (): ClientDiagnostics =>
      ({ connection: { state: 'connected', attempt: 0, timeline: [] }, log: [], rooms: held ? [{ room: 'document:1', refCount: 1, snapshot, counters: { received: 0, applied: 0, duplicates: 0 } }] : [] }),
  } as unknown as JobcastClient;
  let seq = 0;
  const push = (value: JobStatus, event: StatusEvent['event'] = 'progress') =>
    listeners.forEach((listener) => listener({ room: 'document:1', epoch: 'e', seq: ++seq, event, status: value, at: value.updatedAt }));
  return { client, push, listeners, release: () => (held = false) };
}

describe('JobTimelineRecorder', () => {
  it('records every applied event of a held room, in order, and the snapshot of jobs it had before', () => {
    const { client, push } = fakeClient({ old: status('old', 'completed', 1) });
    const recorder = new JobTimelineRecorder(client, {}, () => 50);
    const stop = recorder.start();
    push(status('a', 'waiting', 10), 'added');
    push(status('a', 'active', 20, 'download'), 'active');
    push(status('a', 'completed', 30, 'download'), 'completed');
    const [a, old] = recorder.getSnapshot();
    expect(a!.entries.map((entry) => [entry.event, entry.state, entry.step?.name, entry.latencyMs])).toEqual([
      ['added', 'waiting', undefined, 40],
      ['active', 'active', 'download', 30],
      ['completed', 'completed', 'download', 20],
    ]);
    expect(old!.entries).toEqual([expect.objectContaining({ source: 'snapshot', state: 'completed' })]);
    stop();
  });

  it('records a status seen both as an event and in the snapshot once', () => {
    const done = status('a', 'completed', 30);
    const { client, push } = fakeClient({ a: done });
    const recorder = new JobTimelineRecorder(client);
    recorder.start();
    push(done, 'completed');
    recorder.sync();
    expect(recorder.getSnapshot()[0]!.entries).toHaveLength(1);
  });

  it('keeps at most maxJobs jobs (the most recent) and maxEntries entries per job', () => {
    const { client, push } = fakeClient();
    const recorder = new JobTimelineRecorder(client, { maxJobs: 3, maxEntries: 4 });
    recorder.start();
    for (let job = 0; job < 5; job++) push(status(`j${job}`, 'waiting', job));
    for (let step = 0; step < 10; step++) push(status('j4', 'active', 100 + step, `s${step}`));
    const timelines = recorder.getSnapshot();
    expect(timelines.map((timeline) => timeline.jobId)).toEqual(['j4', 'j3', 'j2']);
    expect(timelines[0]!.entries.map((entry) => entry.step?.name)).toEqual(['s6', 's7', 's8', 's9']);
  });

  it('detaches from rooms the client released, and from all of them when stopped', () => {
    const { client, listeners, release } = fakeClient();
    const recorder = new JobTimelineRecorder(client);
    const stop = recorder.start();
    expect(listeners.size).toBe(1);
    stop();
    expect(listeners.size).toBe(0);
    const again = recorder.start();
    expect(listeners.size).toBe(1);
    release();
    recorder.sync();
    expect(listeners.size).toBe(0);
    again();
  });
});
