import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { isTerminalStatus, type LifecycleEvent, type ReconcileReason, type ResyncReason, type StatusEvent, type JobStatus } from '../../shared/index.js';
import type { Route } from '../ingest/routing.js';
import { type Keys, jobKeyOf } from './keys.js';
import { ADVANCE_CURSOR_SCRIPT, READ_RANGE_SCRIPT, READ_ROOM_SCRIPT, RECORD_SCRIPT, ROOM_APPEND_SCRIPT, ROOMS_THEN_RECORDS_SCRIPT } from './scripts.js';

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

/** What became of one write. */
export interface AppendResult {
  /** The rooms its status was appended to by this call: broadcast them, whatever else happened. */
  cursors: RoomCursor[];
  /**
   * The job's record: `written`; `duplicate` when it already held this event (ingested before a
   * restart or a takeover: the rooms skipped it too); `lease-lost` when another node ingests the
   * queue now (not written); `failed` when a script call failed (Redis unreachable…: the batch
   * is to be read again, and what did land is skipped then).
   */
  record: 'written' | 'duplicate' | 'lease-lost' | 'failed';
  error?: unknown;
}

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
  /**
   * The Redis Cluster hash slot of a key, on a cluster: one room-append call per slot. Undefined
   * on one Redis, where every room goes in the same call.
   */
  slotOf?: (key: string) => number;
}

type ScriptedRedis = Redis & {
  jobcastAppendRooms(...args: Array<string | number>): Promise<unknown[][]>;
  jobcastRecord(...args: Array<string | number>): Promise<number | number[]>;
  jobcastRoomsThenRecords(...args: Array<string | number>): Promise<[unknown[][], number | number[]]>;
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

/** Room entries, or job records, per script call: a batch (200 events by default) in one call of each kind, none holding Redis long. */
const PER_CALL = 500;

/** One status bound for one room, in a room-append call. */
interface RoomEntry {
  write: number;
  room: string;
}

interface AppendOptions {
  onRoomsWritten?: (results: readonly AppendResult[]) => void;
  advanceTo?: string;
  afterLastCall?: () => void;
}

/** One appendBatch call's writes, with each status encoded once ('' for a write without one). */
interface Batch {
  queue: string;
  inputs: AppendInput[];
  statusJson: string[];
}

/** A script call's keys and arguments. */
interface ScriptArgs {
  keys: string[];
  args: Array<string | number>;
}

/** Where an append stopped: the first write not done, and why (nothing when every write was done). */
type AppendFailure = { failedFrom?: undefined } | { failedFrom: number; record: 'lease-lost' | 'failed'; error?: unknown };

/** The room entries of writes start..end-1, in write order: one per room of each routed status. */
function roomEntries(inputs: AppendInput[], start: number, end: number): RoomEntry[] {
  const entries: RoomEntry[] = [];
  for (let write = start; write < end; write++) {
    const input = inputs[write]!;
    if (input.route && input.body) for (const room of input.route.rooms) entries.push({ write, room });
  }
  return entries;
}

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
    redis.defineCommand('jobcastAppendRooms', { lua: ROOM_APPEND_SCRIPT });
    redis.defineCommand('jobcastRecord', { lua: RECORD_SCRIPT });
    redis.defineCommand('jobcastRoomsThenRecords', { lua: ROOMS_THEN_RECORDS_SCRIPT });
    redis.defineCommand('jobcastAdvanceCursor', { lua: ADVANCE_CURSOR_SCRIPT, numberOfKeys: 2 });
    redis.defineCommand('jobcastReadRoom', { lua: READ_ROOM_SCRIPT, numberOfKeys: 4 });
    redis.defineCommand('jobcastReadRange', { lua: READ_RANGE_SCRIPT, numberOfKeys: 2 });
    this.#redis = redis as ScriptedRedis;
    this.#keys = keys;
    this.#options = options;
  }

  /**
   * Appends the writes' statuses to their rooms, then stores the jobs' records if this node
   * still holds the queue's lease (`leaseToken`), and moves the queue's stored stream position to
   * `options.advanceTo` with the last record write. Rooms first: a room takes each stream event
   * at most once (ROOM_APPEND_SCRIPT), so a batch cut short anywhere is repaired by reading it
   * again, while a record written first would make that re-read skip a room that missed it.
   * Calls go one after the other, each once the one before it landed: a room takes only events
   * after the last it took, and the stored position must not pass a record that was not written,
   * so nothing may land after a call that failed. On one Redis, each call writes a chunk of writes'
   * rooms and then their records (ROOMS_THEN_RECORDS_SCRIPT: one round trip); on a cluster, the
   * rooms go per hash slot (slots in parallel), then the records. `options.onRoomsWritten` gets
   * the results once the rooms are written (cursors final), so broadcasts need not wait for the
   * records on a cluster. On one Redis, `options.afterLastCall` is called once the last call is
   * sent, before its reply: a command sent then on the same connection runs after every write of
   * the batch, because Redis runs one connection's commands in the order they were sent.
   */
  async appendBatch(
    leaseToken: string,
    queue: string,
    inputs: AppendInput[],
    options: AppendOptions = {},
  ): Promise<AppendResult[]> {
    for (const input of inputs) if (input.queue !== queue) throw new Error(`a batch of appends is for one queue (${queue}), not ${input.queue}`);
    const results: AppendResult[] = inputs.map(() => ({ cursors: [], record: 'written' }));
    // Each status is encoded once, for its rooms and its job's record alike.
    const batch: Batch = { queue, inputs, statusJson: inputs.map((input) => (input.body ? JSON.stringify(input.body.status) : '')) };
    const outcome = this.#options.slotOf ? await this.#appendAcrossSlots(leaseToken, batch, results, options) : await this.#appendOnOneRedis(leaseToken, batch, results, options);
    if (outcome.failedFrom === undefined) return results;
    const { failedFrom, record, error } = outcome;
    return results.map((result, write) => (write < failedFrom ? result : error === undefined ? { ...result, record } : { ...result, record, error }));
  }

  /** One Redis: chunks of writes, each one call that appends their rooms and then writes their records. */
  async #appendOnOneRedis(leaseToken: string, batch: Batch, results: AppendResult[], options: AppendOptions): Promise<AppendFailure> {
    const { inputs } = batch;
    try {
      for (let start = 0; start < inputs.length; start += PER_CALL) {
        const end = Math.min(inputs.length, start + PER_CALL);
        const entries = roomEntries(inputs, start, end);
        const rooms = this.#roomArgs(fenceOf(leaseToken), batch, entries);
        const records = this.#recordArgs(leaseToken, batch, start, end, end === inputs.length ? options.advanceTo : undefined);
        let reply: [unknown[][], number | number[]];
        try {
          const call = this.#redis.jobcastRoomsThenRecords(
            rooms.keys.length + records.keys.length,
            ...rooms.keys,
            ...records.keys,
            rooms.keys.length,
            rooms.args.length,
            ...rooms.args,
            ...records.args,
          );
          if (end === inputs.length) options.afterLastCall?.();
          reply = await call;
        } catch (error) {
          return { failedFrom: start, record: 'failed', error };
        }
        const fenced = this.#takeCursors(entries, reply[0], results);
        const recordReply = reply[1];
        if (fenced || recordReply === -1) return { failedFrom: start, record: 'lease-lost' };
        for (let write = start; write < end; write++) if ((recordReply as number[])[write - start] === 1) results[write]!.record = 'duplicate';
      }
      return {};
    } finally {
      options.onRoomsWritten?.(results);
    }
  }

  /**
   * A cluster: every slot's room calls (slots in parallel), then the record calls. Rooms live in
   * other slots than the lease, so the lease is read first: a batch read before the queue's
   * master lost its data (and the lease with it) then writes nothing to the new, empty rooms,
   * which know no fence number to refuse it with. (Only a loss between this read and the room
   * calls, well under a millisecond, gets past it.)
   */
  async #appendAcrossSlots(leaseToken: string, batch: Batch, results: AppendResult[], options: AppendOptions): Promise<AppendFailure> {
    const { queue, inputs } = batch;
    try {
      if ((await this.#redis.get(this.#keys.queueLease(queue))) !== leaseToken) return { failedFrom: 0, record: 'lease-lost' };
    } catch (error) {
      return { failedFrom: 0, record: 'failed', error };
    }
    let fenced = false;
    const roomCalls = this.#roomCallsBySlot(inputs).map(async (calls) => {
      for (const entries of calls) {
        const rooms = this.#roomArgs(fenceOf(leaseToken), batch, entries);
        if (this.#takeCursors(entries, await this.#redis.jobcastAppendRooms(rooms.keys.length, ...rooms.keys, ...rooms.args), results)) fenced = true;
      }
    });
    const roomFailure = (await Promise.allSettled(roomCalls)).find((outcome) => outcome.status === 'rejected');
    options.onRoomsWritten?.(results);
    if (roomFailure) return { failedFrom: 0, record: 'failed', error: roomFailure.reason };
    // A room saw a later lease's writes: another node ingests the queue now.
    if (fenced) return { failedFrom: 0, record: 'lease-lost' };
    for (let start = 0; start < inputs.length; start += PER_CALL) {
      const end = Math.min(inputs.length, start + PER_CALL);
      const records = this.#recordArgs(leaseToken, batch, start, end, end === inputs.length ? options.advanceTo : undefined);
      let reply: number | number[];
      try {
        reply = await this.#redis.jobcastRecord(records.keys.length, ...records.keys, ...records.args);
      } catch (error) {
        return { failedFrom: start, record: 'failed', error };
      }
      if (reply === -1) return { failedFrom: start, record: 'lease-lost' };
      for (let write = start; write < end; write++) if ((reply as number[])[write - start] === 1) results[write]!.record = 'duplicate';
    }
    return {};
  }

  /** Adds a room call's cursors to the results; true when a room refused this node's lease (fenced). */
  #takeCursors(entries: RoomEntry[], replies: unknown[][], results: AppendResult[]): boolean {
    let fenced = false;
    entries.forEach((entry, index) => {
      const [epoch, seq] = replies[index] ?? [];
      if (epoch === -1) fenced = true;
      else if (seq !== undefined) results[entry.write]!.cursors.push({ room: entry.room, epoch: String(epoch), seq: Number(seq) });
    });
    return fenced;
  }

  /** One job's write: {@link appendBatch} of one. */
  async append(leaseToken: string, input: AppendInput): Promise<AppendResult> {
    return (await this.appendBatch(leaseToken, input.queue, [input]))[0]!;
  }

  /** How long a room's and a job record's keys live after their last write. */
  #ttlMs(): number {
    return Math.max(this.#options.historyTtlMs, this.#options.recordTtlMs);
  }

  /** The writes' room entries, in write order, per hash slot, split into calls of at most {@link PER_CALL} entries. */
  #roomCallsBySlot(inputs: AppendInput[]): RoomEntry[][][] {
    const bySlot = new Map<number, RoomEntry[][]>();
    for (const entry of roomEntries(inputs, 0, inputs.length)) {
      const slot = this.#options.slotOf!(this.#keys.roomMeta(entry.room));
      const calls = bySlot.get(slot) ?? [];
      if (calls.length === 0 || calls[calls.length - 1]!.length >= PER_CALL) calls.push([]);
      calls[calls.length - 1]!.push(entry);
      bySlot.set(slot, calls);
    }
    return [...bySlot.values()];
  }

  /** ROOM_APPEND_SCRIPT's keys and arguments for `entries`. */
  #roomArgs(fence: string, { queue, inputs, statusJson }: Batch, entries: RoomEntry[]): ScriptArgs {
    const keys = this.#keys;
    const roomNumbers = new Map<string, number>();
    for (const { room } of entries) if (!roomNumbers.has(room)) roomNumbers.set(room, roomNumbers.size + 1);
    const roomKeys: string[] = [];
    for (const room of roomNumbers.keys()) roomKeys.push(keys.roomMeta(room), keys.roomHistory(room), keys.roomJobs(room), keys.roomJobIndex(room));
    const ttl = this.#ttlMs();
    const args: Array<string | number> = [ttl, this.#options.historySize, this.#options.snapshotJobs, newEpoch(), expirySlackMs(ttl), queue, fence, roomNumbers.size, ...roomNumbers.keys()];
    let bodyOf = { write: -1, json: '' }; // a write's entries come one after the other: its body is built once
    for (const { write, room } of entries) {
      const input = inputs[write]!;
      if (bodyOf.write !== write) bodyOf = { write, json: bodyJson(input.body!, statusJson[write]!) };
      args.push(roomNumbers.get(room)!, input.eventId ?? '', jobKeyOf({ queue, jobId: input.jobId }), bodyOf.json);
    }
    return { keys: roomKeys, args };
  }

  /** RECORD_SCRIPT's keys and arguments for writes start..end-1. */
  #recordArgs(leaseToken: string, { queue, inputs, statusJson }: Batch, start: number, end: number, advanceTo: string | undefined): ScriptArgs {
    const keys = this.#keys;
    const writeKeys = [keys.queueLease(queue), keys.queueOpenJobs(queue), keys.queuePendingRoutes(queue), keys.queueCursor(queue)];
    const writeArgs: Array<string | number> = [leaseToken, this.#ttlMs(), advanceTo ?? ''];
    for (let write = start; write < end; write++) {
      const { jobId, eventId, incarnation, route, body, consumedRoutes } = inputs[write]!;
      writeKeys.push(keys.job(queue, jobId), keys.routeVersions(queue, jobId));
      // Open: its rooms show it unfinished, so the reconciler keeps checking it against BullMQ.
      const open = body !== undefined && !isTerminalStatus(body.status) && (route?.rooms.length ?? 0) > 0;
      writeArgs.push(eventId ?? '', incarnation, route ? JSON.stringify(route) : '', statusJson[write]!, open ? '1' : '0', jobId, consumedRoutes.length, ...consumedRoutes);
    }
    return { keys: writeKeys, args: writeArgs };
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

/** The fence number a lease token starts with (queueLease.ts); 0 for a token without one. */
const fenceOf = (leaseToken: string) => /^(\d+):/.exec(leaseToken)?.[1] ?? '0';

/** `JSON.stringify(body)` with the status already serialized (the script stores both: one stringify less per append). */
function bodyJson(body: EventBody, statusJson: string): string {
  const reason = body.reason === undefined ? '' : `,"reason":${JSON.stringify(body.reason)}`;
  return `{"event":${JSON.stringify(body.event)},"status":${statusJson},"at":${JSON.stringify(body.at)}${reason}}`;
}
