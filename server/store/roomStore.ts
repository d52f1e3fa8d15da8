import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { LifecycleEvent, ResyncReason, StatusEvent, JobStatus } from '../../shared/index.js';
import { type Keys, roomJobKey } from './keys.js';
import { INGEST_SCRIPT, READ_RANGE_SCRIPT, READ_ROOM_SCRIPT } from './scripts.js';

/** The part of a StatusEvent that is the same in every room of a job. */
export interface EventBody {
  event: LifecycleEvent;
  status: JobStatus;
  at: number;
}

/** One room's cursor for an ingested event. */
export interface RoomCursor {
  room: string;
  epoch: string;
  seq: number;
}

/** What an ingest produced: the body (ours, or the first node's) and a cursor per room. */
export interface IngestResult {
  /** False when another node (or an earlier run) had already ingested this stream event. */
  fresh: boolean;
  /** True when the event was older than a reconciled state already published for the job, so dropped. */
  stale: boolean;
  body: EventBody | undefined;
  cursors: RoomCursor[];
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
  /** Recent ingest results kept per queue for nodes that read the stream later. */
  resultsKept: number;
  /** Most events one replay answer may carry before the client is told to resync instead. */
  maxReplay: number;
}

type ScriptedRedis = Redis & {
  jobcastIngest(...args: Array<string | number>): Promise<unknown[]>;
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
    redis.defineCommand('jobcastIngest', { lua: INGEST_SCRIPT });
    redis.defineCommand('jobcastReadRoom', { lua: READ_ROOM_SCRIPT, numberOfKeys: 4 });
    redis.defineCommand('jobcastReadRange', { lua: READ_RANGE_SCRIPT, numberOfKeys: 2 });
    this.#redis = redis as ScriptedRedis;
    this.#keys = keys;
    this.#options = options;
  }

  /**
   * Appends an event to each room of a job, atomically: cursor, history, snapshot. With a
   * stream `eventId`, an event some node already ingested is not appended again; its first
   * result is returned instead so every node emits the same cursor.
   */
  async ingest(args: {
    queue: string;
    jobId: string;
    rooms: string[];
    body: EventBody;
    terminal: boolean;
    eventId: string | undefined;
    /** For a reconciliation: the stream position its state was read at; older stream events of the job become stale. */
    watermark?: string;
  }): Promise<IngestResult> {
    const { queue, jobId, rooms, body } = args;
    const keys = this.#keys;
    const roomKeys = rooms.flatMap((room) => [keys.roomMeta(room), keys.roomHistory(room), keys.roomJobs(room), keys.roomJobIndex(room)]);
    const reply = await this.#redis.jobcastIngest(
      4 + roomKeys.length,
      keys.queueResults(queue),
      keys.queueResultIds(queue),
      keys.queueOpenJobs(queue),
      keys.jobVersion(queue, jobId),
      ...roomKeys,
      args.eventId ?? '',
      newEpoch(),
      this.#options.historySize,
      this.#options.historyTtlMs,
      this.#options.snapshotJobs,
      roomJobKey(queue, jobId),
      jobId,
      args.terminal ? '1' : '0',
      this.#options.resultsKept,
      JSON.stringify(body),
      args.watermark ?? '',
      body.event === 'added' ? '1' : '0',
      ...rooms,
    );
    if (reply[0] === 0) {
      // The store may have raised the attempt so that it never goes back on screen.
      const attempt = Number(reply[1]);
      const published = attempt === body.status.attempt ? body : { ...body, status: { ...body.status, attempt } };
      return { fresh: true, stale: false, body: published, cursors: toCursors(reply.slice(2)) };
    }
    if (reply[0] === 2) return { fresh: false, stale: true, body: undefined, cursors: [] };
    const stored = reply[1];
    if (typeof stored !== 'string') return { fresh: false, stale: false, body: undefined, cursors: [] };
    const parsed = JSON.parse(stored) as { b?: string; r?: unknown[] | Record<string, never>; stale?: boolean };
    if (parsed.stale || parsed.b === undefined) return { fresh: false, stale: parsed.stale === true, body: undefined, cursors: [] };
    // cjson encodes an empty Lua table as {} rather than [].
    return { fresh: false, stale: false, body: JSON.parse(parsed.b) as EventBody, cursors: Array.isArray(parsed.r) ? toCursors(parsed.r) : [] };
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
    const member = await this.#redis.hget(this.#keys.roomJobs(room), roomJobKey(queue, jobId));
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

function toCursors(flat: unknown[]): RoomCursor[] {
  const cursors: RoomCursor[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) {
    cursors.push({ room: String(flat[i]), epoch: String(flat[i + 1]), seq: Number(flat[i + 2]) });
  }
  return cursors;
}
