import { isTerminalStatus } from '../../../shared/lifecycle.js';
import type { RoomDebugReport } from '../../../shared/index.js';
import type { ClientDiagnostics, LogEntry, RoomDiagnostics } from '../../index.js';
import type { RoomJob } from '../../types.js';
import { formatDuration, formatTime } from './format.js';
import { swallowedSteps } from './stepHistory.js';

/** The hops a status travels from the server to a component, in order. */
export type HopId = 'connected' | 'subscribed' | 'authorized' | 'job' | 'broadcast' | 'received' | 'listener';

/** One hop of the check: passed, failed, or not knowable from here ('unknown'). */
export interface Hop {
  readonly id: HopId;
  readonly label: string;
  readonly ok: boolean | 'unknown';
  readonly detail: string;
}

/** The answer of {@link diagnose}: every hop, and the first one that failed. */
export interface Diagnosis {
  readonly room: string;
  readonly jobId?: string;
  readonly hops: readonly Hop[];
  /** The first hop whose `ok` is false; undefined when none failed. */
  readonly firstFailure?: HopId;
}

/** What the server's debug endpoint said: its report, or why there is none. */
export type ServerReportResult =
  | { readonly ok: true; readonly report: RoomDebugReport }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

/** Everything {@link diagnose} looks at; it reads nothing else, so it can be tested with plain objects. */
export interface DiagnoseInput {
  readonly room: string;
  /** Narrows the check to one job of the room. */
  readonly jobId?: string;
  /** `client.inspect()` at the time of the check. */
  readonly client: ClientDiagnostics;
  /** The server's report for the room; undefined when the server was not asked (no `debugUrl`). */
  readonly server?: ServerReportResult;
  /** The time of the check (epoch ms), to say how long a backoff still runs. */
  readonly now?: number;
}

/** The hops' labels, as the panel shows them. */
export const HOP_LABELS: Readonly<Record<HopId, string>> = {
  connected: 'Connected?',
  subscribed: 'Subscribed?',
  authorized: 'Authorized?',
  job: 'Can the job progress?',
  broadcast: 'Did the server broadcast anything?',
  received: 'Did the client receive it?',
  listener: 'Was a listener attached?',
};

const hop = (id: HopId, ok: Hop['ok'], detail: string): Hop => ({ id, label: HOP_LABELS[id], ok, detail });

/**
 * Answers "why didn't my UI update?" for a room (or one job in it), hop by hop: connected,
 * subscribed, authorized, can the job progress, broadcast by the server, received by the
 * client, listened to.
 * Pure: the same input gives the same answer, with no clock (`now` is an input), socket or network.
 */
export function diagnose(input: DiagnoseInput): Diagnosis {
  const room = input.client.rooms.find((candidate) => candidate.room === input.room);
  const hops = [
    checkConnected(input.client),
    checkSubscribed(input, room),
    checkAuthorized(input, room),
    checkJob(input, room),
    checkBroadcast(input),
    checkReceived(input, room),
    checkListener(input, room),
  ];
  const firstFailure = hops.find((candidate) => candidate.ok === false)?.id;
  return { room: input.room, ...(input.jobId ? { jobId: input.jobId } : {}), hops, ...(firstFailure ? { firstFailure } : {}) };
}

function checkConnected({ connection }: ClientDiagnostics): Hop {
  if (connection.state === 'connected') {
    return hop('connected', true, `connected over ${connection.transport ?? 'an unknown transport'}${connection.nodeId ? ` to node ${connection.nodeId}` : ''}`);
  }
  const why = [
    connection.reason ? `reason: ${connection.reason}` : undefined,
    connection.error ? `${connection.error.code}: ${connection.error.message}` : undefined,
    connection.attempt > 0 ? `reconnect attempt ${connection.attempt}` : undefined,
  ].filter(Boolean);
  return hop('connected', false, `the connection is ${connection.state}${why.length ? ` (${why.join('; ')})` : ''}`);
}

function checkSubscribed({ room: name, client }: DiagnoseInput, room: RoomDiagnostics | undefined): Hop {
  if (room === undefined || room.snapshot.state === 'closed') {
    const similar = similarRooms(name, client.rooms.map((candidate) => candidate.room));
    const hint = similar.length ? `; the client holds ${similar.map((candidate) => `"${candidate}"`).join(', ')}: a different name?` : '';
    return hop('subscribed', false, `no component or handle holds "${name}", so the client never asked for it${hint}`);
  }
  const { state } = room.snapshot;
  if (state === 'pending') {
    const retry = room.snapshot.error ? `; last failure ${room.snapshot.error.code}: ${room.snapshot.error.message}` : '';
    return hop('subscribed', true, `subscribe sent, waiting for the server's answer (pending${retry})`);
  }
  return hop('subscribed', true, state === 'active' ? 'subscribed (active)' : `the client asked for it; the answer was a ${state} subscription`);
}

function checkAuthorized({ room: name, server }: DiagnoseInput, room: RoomDiagnostics | undefined): Hop {
  const serverRejection = server?.ok ? server.report.rejections.filter((rejection) => rejection.room === name).at(-1) : undefined;
  if (room === undefined || room.snapshot.state === 'closed') {
    if (serverRejection) return hop('authorized', false, `the server refused it earlier: ${serverRejection.code}: ${serverRejection.message}`);
    return hop('authorized', 'unknown', 'not asked: the client holds no subscription to this room');
  }
  const { state, error } = room.snapshot;
  if (state === 'rejected' && error) {
    const hint = error.hint ? ` Hint: ${error.hint}` : '';
    if (error.code === 'INVALID_ROOM') return hop('authorized', false, `wrong room name: ${error.message}${hint}`);
    if (error.code === 'FORBIDDEN') return hop('authorized', false, `not authorized: ${error.message}${hint}`);
    return hop('authorized', false, `rejected with ${error.code}: ${error.message}${hint}`);
  }
  if (state === 'rejected') return hop('authorized', false, 'rejected (no reason given)');
  if (state === 'pending') return hop('authorized', 'unknown', 'no answer from the server yet');
  return hop('authorized', true, 'the server accepted the subscription');
}

/**
 * The job itself, from its status on the client: a job nobody will run (no worker listens, its
 * record vanished, it stalled) fails the hop; one waiting out a backoff, deduplicated into
 * another, carried over an epoch change, run by a stale worker, or finished with a step's
 * failure caught inside it is not a failure of the path but is not all right either ('unknown',
 * with what it waits for). A failed job whose record the server found gone says so.
 */
function checkJob({ jobId, now, server }: DiagnoseInput, room: RoomDiagnostics | undefined): Hop {
  const jobs = room?.snapshot.jobs ?? {};
  const job = jobId !== undefined ? findJobById(jobs, jobId) : Object.values(jobs).sort((a, b) => b.updatedAt - a.updatedAt)[0];
  if (!job) return hop('job', 'unknown', jobId !== undefined ? `the client has no status for job ${jobId} to judge it by` : 'the room holds no job yet');
  const what = `job ${job.jobId} is ${job.state}`;
  const warning = (code: string) => job.warnings?.find((candidate) => candidate.code === code);
  const noWorker = warning('NO_WORKER');
  // The server's message says why: no worker listens, the queue is paused, or its workers take no jobs.
  if (noWorker && !isTerminalStatus(job) && job.state !== 'active') return hop('job', false, `${what}: ${sentencePart(noWorker.message)} (NO_WORKER)`);
  const lost = warning('WORKER_LOST');
  if (lost && !isTerminalStatus(job)) {
    const until = 'until' in lost && typeof lost.until === 'number' ? `; its lock runs out at ${formatTime(lost.until)}, then BullMQ calls it stalled` : '';
    return hop('job', false, `${what}, but the worker running it is gone (WORKER_LOST)${until}`);
  }
  if (job.state === 'unknown') return hop('job', false, `${what}: its record vanished from Redis before a final state was seen (removed, cleaned, obliterated; removed on completion while its final event was trimmed from BullMQ's events stream unread, the server down or behind for longer than the stream keeps: raise eventsMaxLen; or Redis lost its data)`);
  if (job.state === 'stalled') return hop('job', false, `${what}: the worker running it stopped renewing its lock; BullMQ hands it to the next worker`);
  const carried = (job as RoomJob).carriedOver;
  if (carried) return hop('job', 'unknown', `${what}, carried over from epoch ${carried.fromEpoch}: the server's new snapshot does not hold it, so it is not confirmed since`);
  if (job.willRetry) {
    const failed = Math.max(1, job.attempt - 1);
    const until = job.nextAttemptAt === undefined ? 'until a worker is free' : `until ${formatTime(job.nextAttemptAt)}${now !== undefined && job.nextAttemptAt > now ? ` (${formatDuration(job.nextAttemptAt - now)} from now)` : ''}`;
    return hop('job', 'unknown', `attempt ${failed} of job ${job.jobId} failed${job.failure?.step ? ` at step ${job.failure.step}` : ''}; it waits on a backoff ${until}, then runs attempt ${failed + 1} of ${job.maxAttempts}`);
  }
  if (job.state === 'deduplicated' || job.deduplicatedBy !== undefined) {
    return hop('job', 'unknown', `${what}: job ${job.deduplicatedBy ?? '(unknown)'} already does this work; follow that job for the result`);
  }
  const stale = warning('STALE_WORKER');
  if (stale) return hop('job', 'unknown', `${what}, run by a worker on other code: ${stale.message}`);
  const swallowed = swallowedSteps(job);
  if (swallowed.length > 0 && isTerminalStatus(job)) {
    return hop('job', 'unknown', `${what}, but step ${swallowed.map((step) => step.name).join(', ')} failed inside it and the error was caught: BullMQ never saw that failure`);
  }
  if (job.state === 'failed') {
    const failure = job.failure ? `: ${job.failure.code}: ${job.failure.message}` : '';
    // The server read BullMQ's record for this job (debug users, a job id given) and found none.
    const gone = server?.ok && server.report.job?.jobId === job.jobId && server.report.job.state === 'unknown';
    const record = gone ? "; BullMQ no longer holds its record (removed on failure, e.g. removeOnFail, or cleaned): its full failure text went with it, and the failure above is what reached this page" : '';
    return hop('job', true, `${what} for good after ${job.attempt} attempt(s)${failure}${record}`);
  }
  return hop('job', true, what);
}

function checkBroadcast({ room: name, jobId, server }: DiagnoseInput): Hop {
  if (server === undefined) return hop('broadcast', 'unknown', 'the server was not asked (give the panel a debugUrl)');
  if (!server.ok) return hop('broadcast', 'unknown', `the server's debug endpoint answered ${server.error.code}: ${server.error.message}`);
  const { report } = server;
  const sent = report.stats.broadcasts > 0 || report.seq > 0;
  const misses = report.nearMisses.filter((miss) => miss.subscribedRoom === name && miss.eventsRoom !== name);
  const elsewhere = misses.length ? `; events go to ${misses.map((miss) => `"${miss.eventsRoom}" (${miss.reason})`).join(', ')}` : '';
  if (!sent) return hop('broadcast', false, `the server has broadcast nothing to "${name}"${elsewhere}`);
  const counts = `${report.stats.broadcasts} broadcast(s), last seq ${report.seq}, ${report.stats.subscribers} subscriber(s) now, ${report.stats.unheard} unheard`;
  if (jobId === undefined) return hop('broadcast', true, counts);
  const events = report.recent.filter((event) => event.status.jobId === jobId);
  if (events.length === 0) {
    return hop('broadcast', false, `the server broadcast to "${name}" (${counts}), but nothing for job ${jobId} in its recent history${elsewhere}`);
  }
  const last = events.at(-1)!;
  return hop('broadcast', true, `${events.length} event(s) for job ${jobId}, the last ${last.event} → ${last.status.state} at seq ${last.seq}`);
}

function checkReceived({ jobId, server, client }: DiagnoseInput, room: RoomDiagnostics | undefined): Hop {
  const name = room?.room;
  const received = name === undefined ? [] : statusEntries(client.log, name, jobId);
  const snapshot = room?.snapshot;
  const job = jobId === undefined || snapshot === undefined ? undefined : findJobById(snapshot.jobs, jobId);
  const pending = snapshot?.gaps.ranges.filter((range) => range.outcome === 'pending') ?? [];
  const gapText = pending.length ? `; gap ${pending.map((range) => `${range.from}..${range.to}`).join(', ')} still being repaired` : '';
  if (snapshot === undefined || snapshot.state === 'closed') return hop('received', 'unknown', 'the client holds no subscription to this room');
  const report = server?.ok ? server.report : undefined;
  if (report !== undefined && report.stats.broadcasts === 0 && report.seq === 0) {
    return hop('received', 'unknown', 'nothing was broadcast, so nothing could be received');
  }
  if (report !== undefined && snapshot.epoch !== undefined && report.epoch !== snapshot.epoch) {
    return hop('received', false, `the client's cursor is from epoch ${snapshot.epoch}, the server is in ${report.epoch}: a resync is needed`);
  }
  if (report !== undefined && snapshot.seq < report.seq) {
    return hop('received', false, `the client is at seq ${snapshot.seq}, the server at ${report.seq}: missed ${snapshot.seq + 1}..${report.seq}${gapText}`);
  }
  const what = `${received.length} status event(s) in the log, client at seq ${snapshot.seq}${report ? ` = server seq ${report.seq}` : ''}`;
  if (jobId !== undefined) {
    if (job) return hop('received', true, `job ${jobId} is ${job.state} on the client; ${what}`);
    const serverHasJob = report?.recent.some((event) => event.status.jobId === jobId);
    return hop('received', serverHasJob ? false : 'unknown', `the client has no status for job ${jobId}; ${what}${gapText}`);
  }
  if (received.length > 0 || snapshot.seq > 0 || Object.keys(snapshot.jobs).length > 0) return hop('received', true, `${what}${gapText}`);
  return hop('received', report ? false : 'unknown', `the client has received nothing for this room${gapText}`);
}

function checkListener({ jobId }: DiagnoseInput, room: RoomDiagnostics | undefined): Hop {
  if (room === undefined || room.snapshot.state === 'closed') return hop('listener', false, 'nothing listens to this room on this page');
  if (room.refCount > 0) {
    const job = jobId !== undefined ? ' (whether a component renders this job is up to the app)' : '';
    return hop('listener', true, `${room.refCount} listener(s) and handle(s) hold the room${job}`);
  }
  return hop('listener', false, 'no component or handle listens any more: the room is only waiting out its unsubscribe delay');
}

/** A job of a room by its id, whichever queue it is in (`jobs` are keyed `queue/jobId`; a `queue/jobId` works too). */
export function findJobById<T extends { jobId: string }>(jobs: Readonly<Record<string, T>>, jobId: string): T | undefined {
  return jobs[jobId] ?? Object.values(jobs).find((candidate) => candidate.jobId === jobId);
}

/** The status entries of the log for a room (and job): what reached the client. */
function statusEntries(log: readonly LogEntry[], room: string, jobId: string | undefined): LogEntry[] {
  return log.filter(
    (entry) => entry.kind === 'status' && entry.room === room && (jobId === undefined || entry.jobId === jobId) && !entry.detail?.startsWith('ignored'),
  );
}

/** Held rooms that look like `name` with another case, separator or id. */
export function similarRooms(name: string, rooms: readonly string[]): string[] {
  const normalize = (value: string) => value.toLowerCase().replace(/[^a-z0-9]+/g, ':');
  const type = normalize(name).split(':')[0];
  return rooms.filter((room) => room !== name && (normalize(room) === normalize(name) || normalize(room).split(':')[0] === type));
}

/** A sentence made part of another: first letter in lower case, no final period. */
const sentencePart = (sentence: string) => `${sentence.charAt(0).toLowerCase()}${sentence.slice(1)}`.replace(/\.$/, '');
