import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { isTerminalStatus, type JobStatus, type ReconcileReason, type StatusEvent } from '../../shared/index.js';
import type { Logger } from '../options.js';
import type { AppendInput, AppendResult, EventBody, RoomStore } from '../store/roomStore.js';
import type { Keys } from '../store/keys.js';
import { buildStatus, sameShownStatus } from './buildStatus.js';
import { readBatchContext, type BatchContext } from './batchContext.js';
import { bindAtStart, bindLate, isFinished, isOtherIncarnation, otherRoutes, type JobRecord } from './jobRecord.js';
import { adoptPending, lostStatus, lostWhereSeen, reconciledStatus, type JobRead, type ReconcileRead } from './reconciledStatus.js';
import type { Projection } from './projection.js';
import { coalesceProgress } from './coalesce.js';
import { dropExpiredPending, schedulerIdOf } from './routing.js';
import { hasWorker, withWorkerWarnings, workerWarnings, type WorkerView } from './workerWatch.js';
import { LeaseLostError, type IngestPhases, type ReadAhead } from './batchOutcome.js';
import { compareStreamIds, startsIncarnation, streamIdTime, subjectOf, type StreamEvent } from './streamEvent.js';

/** Delivers an appended event to every subscriber of its room, on every node. */
export type Broadcast = (event: StatusEvent) => void;

export interface IngestorOptions {
  queue: Queue;
  redis: Redis;
  store: RoomStore;
  keys: Keys;
  projection: Projection | undefined;
  broadcast: Broadcast;
  logger: Logger;
  batchSize: number;
  /** The worker version this server expects (flags STALE_WORKER). */
  expectedWorkerVersion?: string | undefined;
  /** Told about each event ingested, with its lag from BullMQ. */
  onIngested?: (queue: string, lifecycle: StatusEvent['event'], status: JobStatus, lagMs: number | undefined) => void;
  /** Told, after each batch, how long each part of it took (jobcast_ingest_busy_seconds_total). */
  onBatchTimed?: (queue: string, phases: IngestPhases) => void;
  /** Told once per incarnation whose rooms are unknown, for the debug views and the log. */
  onUnrouted?: (queue: string, jobId: string, event: string) => void;
  /** Reads the queue's workers (a CLIENT LIST and the active jobs' locks). */
  readWorkers: () => Promise<WorkerView>;
  /** How old a worker view may be when a waiting job's status is built. */
  workerViewMaxAgeMs: number;
  /** Test-only fault: `stale-route` keeps a job id's first route forever (the conformance suite must catch it). */
  canary?: string | undefined;
}

/** A batch's context read ahead, and the last stream id of the batch it is for. */
interface ReadAheadContext {
  lastId: string;
  context: Promise<BatchContext>;
}

/** How old a worker view that saw no worker may be before a job is said to have none (workers start at any time). */
const NO_WORKER_RECHECK_MS = 250;

/** Job records a node keeps in memory while it holds a queue's lease. */
const CACHED_RECORDS = 50_000;

/**
 * One queue's ingestion, run only by the node that holds the queue's lease: each batch of
 * stream events, in stream order, becomes public statuses appended to the routed rooms and
 * broadcast. Reads for a batch take one round trip (batchContext.ts); its writes, a room-append
 * script call per hundred statuses (per hash slot on a cluster), then one fenced record script
 * call per hundred writes (roomStore.appendBatch).
 */
export class Ingestor {
  readonly #options: IngestorOptions;
  readonly #records = new Map<string, JobRecord>();
  #token: string | undefined;
  /** The latest read of the queue's workers (the reconciler refreshes it every few seconds). */
  #workerView: WorkerView | undefined;
  /** The stream position after which events were trimmed away unread: a record older than it may be of a job that is gone. */
  #holeAfter: string | undefined;
  /** The next batch's context, read right behind the last batch's writes: valid until anything else is written. */
  #readAhead: ReadAheadContext | undefined;

  constructor(options: IngestorOptions) {
    this.#options = options;
  }

  /** Starts a lease term: what was cached under an earlier one may be stale. */
  begin(leaseToken: string): void {
    this.#token = leaseToken;
    this.#readAhead = undefined;
    this.#records.clear();
  }

  /** The stream was trimmed past `position` before it was read: `added` events after it may be lost. */
  markHole(position: string): void {
    this.#holeAfter = position;
  }

  /**
   * Ingests a batch of stream events, then moves the queue's stored position past it. Returns
   * what the stream held after the batch when its records were read: the next batch to ingest
   * when the caller takes it (`readNext`), so a node behind reads each batch once, not once more
   * with XREAD. Then, on one Redis, that next batch's records are read right behind this batch's
   * writes, on the same connection (so Redis runs the read after the writes), while their reply
   * is awaited.
   */
  async ingestBatch(events: StreamEvent[], { readNext }: { readNext: boolean }): Promise<ReadAhead> {
    const lastId = events[events.length - 1]?.id;
    const readAhead = this.#readAhead;
    this.#readAhead = undefined;
    if (!lastId) return { events: [], trimmedBefore: false };
    const startedAt = performance.now();
    const kept = coalesceProgress(events);
    const context = await (readAhead?.lastId === lastId ? readAhead.context : this.#readContext(kept, lastId));
    const readAt = performance.now();
    const writes: AppendInput[] = [];
    for (const event of kept) {
      const jobId = subjectOf(event);
      if (jobId === undefined) continue;
      writes.push(...(await this.#ingestEvent(event, jobId, context)));
    }
    const builtAt = performance.now();
    const next = context.tail;
    let nextRead: ReadAheadContext | undefined;
    const sendNextRead = () => {
      const nextLastId = next[next.length - 1]?.id;
      if (nextLastId && readNext) nextRead = { lastId: nextLastId, context: this.#readContext(coalesceProgress(next), nextLastId) };
    };
    // The stored stream position moves with the batch's last record write, or on its own when nothing was written.
    let broadcast = 0;
    if (writes.length > 0) broadcast = await this.#write(writes, { advanceTo: lastId, afterLastCall: sendNextRead });
    else if (!(await this.#options.store.advanceCursor(this.#leaseToken(), this.#options.queue.name, lastId))) {
      throw new LeaseLostError(this.#options.queue.name);
    }
    this.#readAhead = nextRead;
    const write = performance.now() - builtAt - broadcast;
    this.#options.onBatchTimed?.(this.#options.queue.name, { read: readAt - startedAt, build: builtAt - readAt, write, broadcast });
    return { events: next, trimmedBefore: context.trimmedAfterBatch };
  }

  /** Reads a batch's context; a failed read ahead is never awaited, so its rejection is marked handled. */
  #readContext(events: StreamEvent[], lastId: string): Promise<BatchContext> {
    // A cached record from before a hole is checked against its job's recorded routes (#routedBefore): read them with the batch, not one by one.
    const needsRoutes = (jobId: string) => this.#predatesHole(this.#records.get(jobId)!);
    const read = readBatchContext({ ...this.#options, events, lastId, cached: this.#records, needsRoutes });
    read.catch(() => undefined);
    return read;
  }

  /**
   * Pushes the real state of jobs whose events may not tell it (after a trimmed stream, for a
   * job that vanished without a terminal event, or when asked). `read` reads each job's
   * facts (and BullMQ state when known) in the same MULTI as the stream's entries after what
   * was ingested: a job with one of those unread events is left to it, so a reconciled state
   * never overtakes an event; with too many unread, nothing is done (false).
   */
  async reconcile(args: {
    jobIds: string[];
    reason: ReconcileReason;
    position: string | undefined;
    read: (jobIds: string[]) => Promise<ReconcileRead>;
  }): Promise<boolean> {
    this.#readAhead = undefined; // read before these writes
    const { unread, jobs } = await args.read(args.jobIds);
    if (unread === undefined) return false; // too far behind: read the stream first
    // A job with an event not ingested yet is left to that event; the others' read is their latest truth.
    const pending = new Set(unread.map(subjectOf));
    const records = await this.#loadRecords(args.jobIds);
    const writes: AppendInput[] = [];
    const expired: string[] = [];
    for (const jobId of args.jobIds) {
      const read = jobs.get(jobId);
      if (!read || pending.has(jobId)) continue;
      if (read.versions && Object.keys(read.versions).length === 0) expired.push(jobId);
      const record = records.get(jobId);
      let candidates: Array<{ record: JobRecord; consumed: string[] }> = record ? [{ record, consumed: [] }] : [];
      // A job scheduler's job none of whose events was read: its scheduler's route is its own.
      if (!record && read.schedulerRoute && read.facts) candidates = [{ record: { incarnation: `t${read.facts.timestamp}`, lastEventId: undefined, route: read.schedulerRoute, status: undefined }, consumed: [] }];
      // Routed, but its `added` event was never read (trimmed while no node read): adopt it, when
      // the record read is not this job's own (another's, or gone while later jobs were routed).
      const others = read.versions && otherRoutes(record, read.versions);
      if (others && (!record || isOtherIncarnation(record, read.facts) || (!read.facts && Object.keys(others).length > 0))) {
        candidates = adoptPending(others, read.facts);
        // Gone from BullMQ, nothing records its rooms (Redis lost its record and routes after a room took its status): lost where it was seen.
        if (candidates.length === 0 && !record && !read.facts && Object.keys(others).length === 0) candidates = await lostWhereSeen(this.#options.store, this.#options.queue.name, jobId, read.sightings ?? []);
        if (candidates.length === 0) continue;
        // Its BullMQ record is another job's now: the one its rooms last saw is gone.
        const gone = record ? lostStatus(record, this.#options.queue.name, jobId) : undefined;
        if (gone) writes.push(gone);
        this.#remember(jobId, candidates[candidates.length - 1]!.record);
        if (candidates.every(({ consumed }) => consumed.length === 0)) await this.#options.redis.srem(this.#options.keys.queuePendingRoutes(this.#options.queue.name), jobId);
      }
      for (const candidate of candidates) {
        const write = this.#reconciledWrite(jobId, candidate.record, read, args.reason, candidate.consumed);
        if (write) writes.push(write);
      }
    }
    await this.#write(writes);
    await dropExpiredPending(this.#options.redis, this.#options.keys, this.#options.queue.name, expired);
    return true;
  }

  /** True when a later job with the id was routed before `event`: the event may be that job's. */
  async #routedBefore(record: JobRecord, jobId: string, event: StreamEvent, context: BatchContext): Promise<boolean> {
    const versions = context.versions.get(jobId) ?? (await this.#options.redis.hgetall(this.#options.keys.routeVersions(this.#options.queue.name, jobId)));
    context.versions.set(jobId, versions);
    return Object.keys(otherRoutes(record, versions)).some((at) => compareStreamIds(at, event.id) < 0);
  }

  /** Writes that show the jobs of routes never bound (`at` in `versions`) lost in their rooms, but the one shown already. */
  #lostUnbound(jobId: string, versions: Record<string, string>, at: string[], shown: string | undefined): AppendInput[] {
    const lost = adoptPending(pick(versions, at), undefined, true);
    return lost.flatMap(({ record }) => {
      if (record.incarnation === shown) return [];
      const write = this.#reconciledWrite(jobId, record, { facts: undefined, state: undefined }, 'vanished', []);
      return write ? [write] : [];
    });
  }

  /** The write that brings one incarnation's rooms to what the reconciliation read, if they do not show it. */
  #reconciledWrite(jobId: string, record: JobRecord, read: JobRead, reason: ReconcileReason, consumedRoutes: string[]): AppendInput | undefined {
    if (!record.route || (record.status && isTerminalStatus(record.status))) return undefined;
    const status = reconciledStatus(record, read, this.#options, jobId);
    if (!status) return undefined;
    const body: EventBody = { event: 'reconciled', status, at: Date.now(), reason: read.facts ? reason : 'vanished' };
    record.status = status;
    this.#options.logger.info({ queue: this.#options.queue.name, jobId, to: status.state, reason: body.reason }, 'reconciled job state from BullMQ');
    return { queue: this.#options.queue.name, jobId, eventId: undefined, incarnation: record.incarnation, route: record.route, body, consumedRoutes };
  }

  /**
   * Takes a new read of the queue's workers and pushes the jobs (of `jobIds`) whose worker
   * warnings it changes: a job nobody will run, or one whose worker died, is said on the page
   * within a check, not when BullMQ's stalled check gets to it.
   */
  async applyWorkerView(view: WorkerView, jobIds: string[]): Promise<void> {
    this.#readAhead = undefined; // read before these writes
    this.#workerView = view;
    const records = await this.#loadRecords(jobIds);
    const writes: AppendInput[] = [];
    for (const [jobId, record] of records) {
      const previous = record.status;
      if (!record.route || !previous || isTerminalStatus(previous)) continue;
      const warnings = withWorkerWarnings(previous, workerWarnings(previous, view));
      if (JSON.stringify(warnings) === JSON.stringify(previous.warnings ?? [])) continue;
      const status: JobStatus = { ...previous, updatedAt: Date.now() };
      if (warnings.length > 0) status.warnings = warnings;
      else delete status.warnings;
      record.status = status;
      const body: EventBody = { event: 'warned', status, at: Date.now() };
      writes.push({ queue: this.#options.queue.name, jobId, eventId: undefined, incarnation: record.incarnation, route: record.route, body, consumedRoutes: [] });
    }
    await this.#write(writes);
  }

  /** Decides what one event does; returns the write it needs, or undefined. */
  async #ingestEvent(event: StreamEvent, jobId: string, context: BatchContext): Promise<AppendInput[]> {
    const queue = this.#options.queue.name;
    let record = this.#records.get(jobId) ?? context.records.get(jobId);
    if (record?.lastEventId && compareStreamIds(event.id, record.lastEventId) <= 0) return []; // ingested before a restart
    if (event.name === 'retries-exhausted') return []; // the `failed` before it was the final failure
    const facts = context.facts.get(jobId);
    let consumedRoutes: string[] = [];
    const writes: AppendInput[] = [];
    if (startsIncarnation(event) && !(this.#options.canary === 'stale-route' && record?.route)) {
      // A new job with this id proves the old one is gone: if its rooms never saw it finish
      // (obliterated, or its last events trimmed away), they show it lost, not running forever.
      const gone = record ? lostStatus(record, queue, jobId) : undefined;
      if (gone) writes.push(gone);
      const versions = context.versions.get(jobId) ?? {};
      const binding = bindAtStart({ jobId, startedAt: event.id, versions, schedulerRoute: context.schedulerRoutes.get(jobId) });
      // Older routes it uses up were never bound: their jobs' `added` went unread, and they are gone too.
      const unbound = binding.route ? binding.consumed.slice(0, -1) : binding.consumed;
      writes.push(...this.#lostUnbound(jobId, versions, unbound, record?.incarnation));
      record = { incarnation: event.id, lastEventId: undefined, route: binding.route, status: undefined };
      consumedRoutes = binding.consumed;
      // The batch's read of the routes outlives this event: a later `added` of the id in it must not take these again.
      for (const at of consumedRoutes) delete versions[at];
    } else if (!record || (this.#predatesHole(record) && (isOtherIncarnation(record, facts) || (await this.#routedBefore(record, jobId, event, context))))) {
      // Its start was not read: no record, or a record from before a hole in the stream while
      // BullMQ's record is another job's, or a later job with the id was routed before this
      // event (its `added` may be in the hole). Only a route that names the job's own timestamp
      // (or time) is taken. Without a hole, events are read in order, so a record read that shows
      // another incarnation is only a later job with the id: the event is still the recorded job's.
      const versions = context.versions.get(jobId) ?? (await this.#options.redis.hgetall(this.#options.keys.routeVersions(queue, jobId)));
      const late = bindLate({ versions, facts });
      // A job scheduler's job names its scheduler in its id: its route is the scheduler's.
      const binding = late.route || schedulerIdOf(jobId) === undefined ? late : { route: context.schedulerRoutes.get(jobId), consumed: [] };
      // Gone already, so nothing proves which recorded route is its own: the reconciler's sweep of
      // pending routes shows the routed job lost (`unknown`), rather than guess its rooms now.
      if (!facts && Object.keys(versions).length > 0) return writes;
      record = { incarnation: facts ? `t${facts.timestamp}` : `s${event.id}`, lastEventId: undefined, route: binding.route, status: undefined };
      consumedRoutes = binding.consumed;
    }
    const isNew = record.lastEventId === undefined;
    record.lastEventId = event.id;
    this.#remember(jobId, record);
    if (!record.route) {
      if (isNew) this.#options.onUnrouted?.(queue, jobId, event.name);
      // Written once per incarnation, so a restart knows its later events are unrouted too.
      if (isNew) writes.push({ queue, jobId, eventId: event.id, incarnation: record.incarnation, route: undefined, body: undefined, consumedRoutes });
      return writes;
    }
    // The record read is this incarnation's when it carries the timestamp the route names, or,
    // for a route without one, when no new incarnation of the id started after this event.
    const stamp = record.route.timestamp;
    const own = facts && (stamp !== undefined ? facts.timestamp === stamp : context.isSameIncarnation(jobId, event)) ? facts : undefined;
    const { lifecycle, status } = buildStatus({
      queue,
      jobId,
      incarnation: record.incarnation,
      event,
      job: own,
      exact: own !== undefined && context.isLastRead(jobId, event),
      next: context.nextEventOf(jobId, event),
      previous: record.status,
      route: record.route,
      projection: this.#options.projection,
      now: Date.now(),
      logger: this.#options.logger,
      expectedWorkerVersion: this.#options.expectedWorkerVersion,
    });
    // An event of a running job comes from its worker, alive just now; the worker view only speaks for jobs that wait.
    let view = status.state === 'active' ? undefined : await this.#freshWorkerView(this.#options.workerViewMaxAgeMs);
    // Before saying nobody will run it, look again: a worker may have started since the last look.
    if (view && !hasWorker(view)) view = await this.#freshWorkerView(NO_WORKER_RECHECK_MS);
    status.warnings = withWorkerWarnings(status, view ? workerWarnings(status, view) : []);
    if (status.warnings?.length === 0) delete status.warnings;
    const previous = record.status;
    record.status = status;
    this.#options.onIngested?.(queue, lifecycle, status, Date.now() - streamIdTime(event.id));
    // BullMQ writes `waiting` right after `added` for every job: when it changes nothing a page
    // shows, it is not appended (its record keeps the earlier event, so a restart skips it again).
    if (lifecycle === 'waiting' && previous && sameShownStatus(previous, status)) return writes;
    const body: EventBody = { event: lifecycle, status, at: Date.now() };
    writes.push({ queue, jobId, eventId: event.id, incarnation: record.incarnation, route: record.route, body, consumedRoutes });
    return writes;
  }

  /**
   * Sends the writes (rooms, then records, in a few script calls), and broadcasts each status
   * appended to a room, in order, once the rooms are written. If any failed, the cache of the jobs involved is dropped so the retried
   * batch reads what Redis really holds (a write that did land is then a duplicate, and a
   * subscriber that missed its broadcast sees a gap and replays it). Returns the ms spent broadcasting.
   */
  async #write(writes: AppendInput[], batch?: { advanceTo: string; afterLastCall: () => void }): Promise<number> {
    if (writes.length === 0) return 0;
    const queue = this.#options.queue.name;
    let broadcastMs = 0;
    const onRoomsWritten = (landed: readonly AppendResult[]) => {
      const startedAt = performance.now();
      landed.forEach((outcome, index) => {
        const { body } = writes[index]!;
        if (body) for (const cursor of outcome.cursors) this.#options.broadcast({ ...body, ...cursor });
      });
      broadcastMs += performance.now() - startedAt;
    };
    const outcomes = await this.#options.store.appendBatch(this.#leaseToken(), queue, writes, { onRoomsWritten, ...batch });
    const failed = outcomes.find((outcome) => outcome.record === 'failed');
    const leaseLost = outcomes.some((outcome) => outcome.record === 'lease-lost');
    if (!failed && !leaseLost) {
      // The cache keeps the jobs that may move: a finished job's record is read again if it has another event.
      for (const { jobId } of writes) if (isFinished(this.#records.get(jobId))) this.#records.delete(jobId);
      return broadcastMs;
    }
    for (const input of writes) this.#records.delete(input.jobId);
    if (leaseLost) throw new LeaseLostError(queue);
    throw failed!.error;
  }

  async #loadRecords(jobIds: string[]): Promise<Map<string, JobRecord>> {
    const missing = jobIds.filter((jobId) => !this.#records.has(jobId));
    if (missing.length > 0) {
      const context = await readBatchContext({ ...this.#options, events: [], lastId: undefined, cached: this.#records, jobIds: missing });
      for (const [jobId, record] of context.records) this.#remember(jobId, record);
    }
    return new Map(jobIds.flatMap((jobId) => (this.#records.has(jobId) ? [[jobId, this.#records.get(jobId)!] as const] : [])));
  }

  /** The worker view, read again when older than `maxAgeMs` (so at most one read per `maxAgeMs`). */
  async #freshWorkerView(maxAgeMs: number): Promise<WorkerView | undefined> {
    const view = this.#workerView;
    if (view && Date.now() - view.checkedAt <= maxAgeMs) return view;
    this.#workerView = await this.#options.readWorkers().catch(() => view);
    return this.#workerView;
  }

  #predatesHole(record: JobRecord): boolean {
    const hole = this.#holeAfter;
    return hole !== undefined && (record.lastEventId === undefined || compareStreamIds(record.lastEventId, hole) <= 0);
  }

  #leaseToken(): string {
    if (!this.#token) throw new LeaseLostError(this.#options.queue.name);
    return this.#token;
  }

  #remember(jobId: string, record: JobRecord) {
    this.#records.delete(jobId);
    this.#records.set(jobId, record);
    if (this.#records.size > CACHED_RECORDS) this.#records.delete(this.#records.keys().next().value as string);
  }
}

const pick = (versions: Record<string, string>, at: string[]): Record<string, string> => Object.fromEntries(at.flatMap((key) => (versions[key] === undefined ? [] : [[key, versions[key]!]])));
