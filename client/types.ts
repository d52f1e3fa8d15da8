import type { JobState, JobStatus, ReplayRequest, StatusEvent, SubscribeRequest, UnsubscribeRequest, WireError } from '../shared/index.js';
import type { ConnectionSnapshot } from './connection.js';
import type { LogEntry, LogInput } from './eventLog.js';
import type { GapStats } from './gapStats.js';
import type { JobcastStore } from './subscribable.js';
import type { SubscriptionStateName, SubscriptionTransition } from './subscriptionState.js';

/** Where a room subscription is: waiting for the server, receiving, refused, or released. */
export type RoomStatus = 'pending' | 'active' | 'rejected' | 'closed';

/**
 * Set on a job the room kept across an epoch change (Redis lost its data, or the room expired)
 * although the new snapshot does not hold it: a finished job keeps its outcome, an unfinished
 * one is shown as `unknown`.
 */
export interface CarriedOver {
  /** The epoch the job was last seen in. */
  readonly fromEpoch: string;
  /** The epoch the room moved to. */
  readonly toEpoch: string;
  /** When the client carried it over (client clock, epoch ms). */
  readonly at: number;
  /** The job's state when it was last seen (for an `unknown` job: what it was doing when it was lost). */
  readonly lastState: JobState;
}

/** A job as a room holds it: the server's public status, plus what the client knows about its provenance. */
export interface RoomJob extends JobStatus {
  /** Present when the job was carried over from an earlier epoch; see {@link CarriedOver}. */
  readonly carriedOver?: CarriedOver;
}

/** Names one job of a room: by id (any queue), by queue and id, or the latest of a queue. */
export interface JobSelector {
  readonly queue?: string;
  readonly jobId?: string;
}

/** What a room needs from the client: the wire and the log. Injected, so rooms unit-test without a socket. */
export interface RoomHost {
  readonly unsubscribeDelayMs: number;
  readonly gapGraceMs: number;
  readonly retryDelayMs: number;
  readonly retryDelayMaxMs: number;
  isConnected(): boolean;
  /** Each request resolves with the raw ack (validated by the room) or rejects on timeout or disconnect. */
  subscribe(request: SubscribeRequest): Promise<unknown>;
  unsubscribe(request: UnsubscribeRequest): Promise<unknown>;
  replay(request: ReplayRequest): Promise<unknown>;
  log(entry: LogInput): void;
}

/** How a {@link RoomSync} reports to the store that owns it. */
export interface RoomSyncOwner {
  /** State, error, cursor or gap counters may have changed (the store compares before notifying). */
  changed(): void;
  /** These events took effect, in seq order (called after `changed`). */
  delivered(events: readonly StatusEvent[]): void;
}

/** What a room store holds; a new object on every change, the same one otherwise. */
export interface RoomSnapshot {
  readonly room: string;
  /** 'pending' with jobs means the data predates a disconnect and a resubscribe is under way. */
  readonly state: RoomStatus;
  /** The subscription's state machine, finer than `state` (optional only so hand-built snapshots in tests stay valid). */
  readonly subscription?: SubscriptionStateName;
  /** Why the room is rejected, or the last retryable failure while it is pending; `hint` says how to fix a mistyped room. */
  readonly error?: WireError;
  readonly epoch?: string;
  /** The last sequence number applied. */
  readonly seq: number;
  /**
   * The latest status of each job in the room, keyed by `jobKeyOf(status)` (`queue/jobId`): BullMQ
   * ids are unique per queue only. Look one up with `findJob(jobs, { queue, jobId })`.
   */
  readonly jobs: Readonly<Record<string, RoomJob>>;
  /** When the last event was applied (client clock, epoch ms). */
  readonly lastEventAt?: number;
  readonly gaps: GapStats;
}

/** Per-room delivery counters for the debug panel. */
export interface RoomCounters {
  /** Live events that reached this room. */
  readonly received: number;
  /** Events applied: live, released from the gap buffer, or replayed. */
  readonly applied: number;
  /** Live events dropped because they were already applied. */
  readonly duplicates: number;
}

/** A room's read side as the client hands it out (`client.room(name)`); subscribing to it keeps the room subscribed. */
export interface JobcastRoom extends JobcastStore<RoomSnapshot> {
  readonly room: string;
  /** Calls `listener` with every event applied to the room (live, released from a gap, or replayed), in cursor order. */
  onEvent(listener: (event: StatusEvent) => void): () => void;
}

/** One caller's hold on a room; the room stays subscribed until every handle is released. */
export interface SubscriptionHandle {
  readonly room: string;
  /** The room's current snapshot (shared by every handle on the room). */
  getSnapshot(): RoomSnapshot;
  /** Calls `listener` after every change of the snapshot; removed by `unsubscribe()` too. */
  subscribe(listener: () => void): () => void;
  /**
   * Calls `listener` on every change of the subscription's state ('subscribing', 'subscribed',
   * 'rejected' with its code…), after the snapshot shows it; removed by `unsubscribe()` too.
   */
  onState(listener: (transition: SubscriptionTransition) => void): () => void;
  /** Releases this handle and its listeners. Safe to call twice. */
  unsubscribe(): void;
}

/** One room as the debug panel sees it. */
export interface RoomDiagnostics {
  readonly room: string;
  /** Handles plus store listeners holding the room. */
  readonly refCount: number;
  readonly snapshot: RoomSnapshot;
  readonly counters: RoomCounters;
  /** The subscription's last state changes, oldest first (optional only so hand-built diagnostics in tests stay valid). */
  readonly timeline?: readonly SubscriptionTransition[];
}

/** Everything the client knows about its delivery, for `<JobcastDebugPanel>` and bug reports. */
export interface ClientDiagnostics {
  /** The connection, including its timeline of transitions. */
  readonly connection: ConnectionSnapshot;
  /** Every room that is held (or waiting out its unsubscribe delay). */
  readonly rooms: readonly RoomDiagnostics[];
  /** The event log, oldest first. */
  readonly log: readonly LogEntry[];
}

/** The browser (and Node) side of jobcast: one Socket.IO connection, many rooms. */
export interface JobcastClient {
  /** The connection state machine as a store. */
  readonly connection: JobcastStore<ConnectionSnapshot>;
  /** The bounded event log as a store (a new array on every entry). */
  readonly log: JobcastStore<readonly LogEntry[]>;
  /**
   * Holds `room` until the handle is released; `listener` receives every event applied to
   * the room in seq order (live or replayed; a snapshot's jobs are in `getSnapshot().jobs`).
   */
  subscribe(room: string, listener?: (event: StatusEvent) => void): SubscriptionHandle;
  /** The room's store; its store listeners hold the room like handles do (for `useSyncExternalStore`). */
  room(room: string): JobcastRoom;
  /** A snapshot of the connection, every held room and the event log. */
  inspect(): ClientDiagnostics;
  /** Connects (again) after `disconnect()`, `autoConnect: false` or a refusal. */
  connect(): void;
  /** Disconnects and stays disconnected until `connect()`. Rooms keep their handles and resubscribe then. */
  disconnect(): void;
  /** Disconnects for good and stops every timer. Safe to call twice. */
  close(): void;
}
