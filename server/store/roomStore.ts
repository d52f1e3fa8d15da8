import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { isTerminalStatus, type LifecycleEvent, type ReconcileReason, type ResyncReason, type StatusEvent, type JobStatus } from '../../shared/index.js';
import type { Route } from '../ingest/routing.js';
import { type Keys, jobKeyOf } from './keys.js';
import { ADVANCE_CURSOR_SCRIPT, APPEND_SCRIPT, READ_RANGE_SCRIPT, READ_ROOM_SCRIPT } from './scripts.js';

/** The part of a StatusEvent that is the same in every room of a job. */
export interface EventBody {
  event: LifecycleEvent;
  status: JobStatus;
  at: number;
  reason?: ReconcileReason;
}

/** One room's cursor for an appended event. */
export interface RoomCursor {
  room: string;
  epoch: string;
  seq: number;
}

/** One write of the ingest: a job's record, and the status its rooms receive (if routed). */
export interface AppendInput {
  queue: string;
  jobId: string;
  /** The stream event this comes from; undefined for a reconciliation. */
  eventId: string | undefined;
  incarnation: string;
  /** Undefined for an unrouted incarnation (recorded so its later events are known as unrouted). */
  route: Route | undefined;
  body: EventBody | undefined;
  /** Route versions this incarnation took (or passed over), removed with this write. */
  consumedRoutes: string[];
}

/** What an append did. */
export type AppendResult =
  | { kind: 'appended'; cursors: RoomCursor[] }
  /** The job's record already held this event: ingested before a restart, nothing written. */
  | { kind: 'duplicate' }
  /** This node no longer holds the queue's lease: nothing written, another node ingests now. */
  | { kind: 'lease-lost' }
  /** The script call carrying it failed (Redis unreachable…): it may or may not have been written. */
  | { kind: 'failed'; error: unknown };

export interface RoomRead {
  epoch: string;
  seq: number;
  mode: 'snapshot' | 'replay';
  resync: ResyncReason | undefined;
  events: StatusEvent[];
}

export interface RoomStoreOptions {
  historySize: number;
  historyTtlMs: number;
  snapshotJobs: number;
  /** How long a job's record and routes are kept after its last event. */
  recordTtlMs: number;
  /** Most events one replay answer may carry before the client is told to resync instead. */
  maxReplay: number;
}

type ScriptedRedis = Redis & {
  jobcastAppend(...args: Array<string | number>): Promise<unknown[]>;
  jobcastAdvanceCursor(lease: string, cursor: string, token: string, eventId: string): Promise<number>;
  jobcastReadRoom(...args: Array<string | number>): Promise<unknown[]>;
  jobcastReadRange(...args: Array<string | number>): Promise<unknown[]>;
};

/**
 * A fresh epoch name: a random prefix per process plus a counter, so two generations of a
 * room never share one. Only the first ingest of a room uses it, but every ingest offers
 * one, and a crypto call per event showed up in the profile.
 */
const EPOCH_PREFIX = randomBytes(5).toString('hex');
let epochCounter = 0;
/** A room's keys are given their expiry again once it is this much short: 1 % of it, at most a minute. */
const expirySlackMs = (ttlMs: number) => Math.min(60_000, Math.floor(ttlMs / 100));

/** Writes per append script call: a batch's writes in a few calls, none holding Redis long. */
const WRITES_PER_CALL = 100;

const newEpoch = () => `${EPOCH_PREFIX}${(epochCounter++).toString(36)}`;

/**
 * A room's cursor, bounded history and latest-state snapshot, all in Redis so every
 * server node sees the same ones. Stateless itself: safe to create one per node.
 */
export class RoomStore {
  readonly #redis: ScriptedRedis;
  readonly #keys: Keys;
  readonly #options: RoomStoreOptions;

  constructor(redis: Redis, keys: Keys, options: RoomStoreOptions) {
    redis.defineCommand('jobcastAppend', { lua: APPEND_SCRIPT });
    redis.defineCommand('jobcastAdvanceCursor', { lua: ADVANCE_CURSOR_SCRIPT, numberOfKeys: 2 });
    redis.defineCommand('jobcastReadRoom', { lua: READ_ROOM_SCRIPT, numberOfKeys: 4 });
    redis.defineCommand('jobcastReadRange', { lua: READ_RANGE_SCRIPT, numberOfKeys: 2 });
    this.#redis = redis as ScriptedRedis;
    this.#keys = keys;
    this.#options = options;
  }

  /**
   * Stores jobs' records and appends their statuses to their rooms, in order and atomically,
   * if this node still holds the queue's lease (`leaseToken`). One script call per
   * {@link WRITES_PER_CALL} writes (pipelined on one connection, so they land in order).
   */
  async appendBatch(leaseToken: string, queue: string, inputs: AppendInput[]): Promise<AppendResult[]> {
    const calls: Array<Promise<unknown[]>> = [];
    for (let start = 0; start < inputs.length; start += WRITES_PER_CALL) calls.push(this.#appendCall(leaseToken, queue, inputs.slice(start, start + WRITES_PER_CALL)));
    const settled = await Promise.allSettled(calls);
    return settled.flatMap((result, call): AppendResult[] => {
      const size = Math.min(WRITES_PER_CALL, inputs.length - call * WRITES_PER_CALL);
      if (result.status === 'rejected') return Array.from({ length: size }, () => ({ kind: 'failed', error: result.reason }));
      const reply = result.value;
      if (reply[0] === -1) return Array.from({ length: size }, () => ({ kind: 'lease-lost' }));
      return (reply as unknown[][]).map((one) => (one[0] === 1 ? { kind: 'duplicate' } : { kind: 'appended', cursors: toCursors(one.slice(1)) }));
    });
  }

  /** One job's write: {@link appendBatch} of one. */
  async append(leaseToken: string, input: AppendInput): Promise<AppendResult> {
    return (await this.appendBatch(leaseToken, input.queue, [input]))[0]!;
  }

  /** How long a room's and a job record's keys live after their last write. */
  #ttlMs(): number {
    return Math.max(this.#options.historyTtlMs, this.#options.recordTtlMs);
  }

  #appendCall(leaseToken: string, queue: string, inputs: AppendInput[]): Promise<unknown[]> {
    const keys = this.#keys;
    const writeKeys: string[] = [];
    const writeArgs: Array<string | number> = [];
    for (const input of inputs) {
      if (input.queue !== queue) throw new Error(`a batch of appends is for one queue (${queue}), not ${input.queue}`);
      const { jobId, route, body } = input;
      const rooms = route && body ? route.rooms : [];
      writeKeys.push(keys.job(queue, jobId), keys.routeVersions(queue, jobId));
      for (const room of rooms) writeKeys.push(keys.roomMeta(room), keys.roomHistory(room), keys.roomJobs(room), keys.roomJobIndex(room));
      const statusJson = body ? JSON.stringify(body.status) : '';
      writeArgs.push(
        input.eventId ?? '',
        input.incarnation,
        route ? JSON.stringify(route) : '',
        statusJson,
        body && isTerminalStatus(body.status) ? '1' : '0',
        jobKeyOf({ queue, jobId }),
        jobId,
        body ? bodyJson(body, statusJson) : '{}',
        input.consumedRoutes.length,
        ...input.consumedRoutes,
        rooms.length,
        ...rooms,
      );
    }
    return this.#redis.jobcastAppend(
      3 + writeKeys.length,
      keys.queueLease(queue),
      keys.queueOpenJobs(queue),
      keys.queuePendingRoutes(queue),
      ...writeKeys,
      leaseToken,
      this.#ttlMs(),
      this.#options.historySize,
      this.#options.snapshotJobs,
      newEpoch(),
      inputs.length,
      expirySlackMs(this.#ttlMs()),
      ...writeArgs,
    );
  }

  /** Moves the queue's stored stream position; false when this node no longer holds the lease. */
  async advanceCursor(leaseToken: string, queue: string, eventId: string): Promise<boolean> {
    return (await this.#redis.jobcastAdvanceCursor(this.#keys.queueLease(queue), this.#keys.queueCursor(queue), leaseToken, eventId)) === 1;
  }

  /** Reads a room for a subscriber: a replay after `since` when the history still reaches back, else a snapshot. */
  async readRoom(room: string, since: { epoch: string; seq: number } | undefined): Promise<RoomRead> {
    const keys = this.#keys;
    const reply = await this.#redis.jobcastReadRoom(
      keys.roomMeta(room),
      keys.roomHistory(room),
      keys.roomJobs(room),
      keys.roomJobIndex(room),
      newEpoch(),
      this.#options.historyTtlMs,
      since?.epoch ?? '',
      since?.seq ?? 0,
      this.#options.maxReplay,
    );
    const [epoch, seq, mode, resync, ...members] = reply as [string, number | string, 'snapshot' | 'replay', string, ...string[]];
    const events = members.map((member) => JSON.parse(member) as StatusEvent).sort((a, b) => a.seq - b.seq);
    return { epoch, seq: Number(seq), mode, resync: resync === '' ? undefined : (resync as ResyncReason), events };
  }

  /** Events with after < seq <= to, and whether that is all of them (false when the history no longer reaches back). */
  async readRange(room: string, epoch: string, after: number, to: number): Promise<{ complete: boolean; events: StatusEvent[] }> {
    const reply = await this.#redis.jobcastReadRange(this.#keys.roomMeta(room), this.#keys.roomHistory(room), epoch, after, to);
    if (reply[0] !== epoch) return { complete: false, events: [] };
    const events = (reply.slice(1) as string[]).map((member) => JSON.parse(member) as StatusEvent);
    return { complete: events.length === to - after, events };
  }

  /** The latest event of one job in a room, if the room still remembers it. */
  async lastEventOf(room: string, queue: string, jobId: string): Promise<StatusEvent | undefined> {
    const member = await this.#redis.hget(this.#keys.roomJobs(room), jobKeyOf({ queue, jobId }));
    return member ? (JSON.parse(member) as StatusEvent) : undefined;
  }

  /** A room's epoch and cursor, without creating the room. */
  async cursorOf(room: string): Promise<{ epoch: string | undefined; seq: number }> {
    const [epoch, seq] = await this.#redis.hmget(this.#keys.roomMeta(room), 'epoch', 'seq');
    return { epoch: epoch ?? undefined, seq: Number(seq ?? 0) };
  }

  /** The room's newest events from its history, oldest first. */
  async recentEvents(room: string, count: number): Promise<StatusEvent[]> {
    const members = await this.#redis.zrevrange(this.#keys.roomHistory(room), 0, count - 1);
    return members.map((member) => JSON.parse(member) as StatusEvent).reverse();
  }

  /** Job ids of a queue whose last public state was not terminal. */
  openJobs(queue: string): Promise<string[]> {
    return this.#redis.smembers(this.#keys.queueOpenJobs(queue));
  }
}

/** `JSON.stringify(body)` with the status already serialized (the script stores both: one stringify less per append). */
function bodyJson(body: EventBody, statusJson: string): string {
  const reason = body.reason === undefined ? '' : `,"reason":${JSON.stringify(body.reason)}`;
  return `{"event":${JSON.stringify(body.event)},"status":${statusJson},"at":${JSON.stringify(body.at)}${reason}}`;
}

function toCursors(flat: unknown[]): RoomCursor[] {
  const cursors: RoomCursor[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) {
    cursors.push({ room: String(flat[i]), epoch: String(flat[i + 1]), seq: Number(flat[i + 2]) });
  }
  return cursors;
}
