/**
 * Observers: jobcast SDK clients that record every event delivered to a room listener and
 * every change on "screen" (the room snapshot), and measure the delivery contract:
 * - silent gaps: a seq hole (or epoch change) in what the listener received with no resync
 *   counted since the previous delivery, a cursor behind the server's after convergence,
 *   or `gaps.detected` ≠ replayed + resynced + still pending;
 * - visible duplicates: the same (room, epoch, seq) delivered twice, an event delivered out
 *   of order, or a job's state going backwards on screen;
 * - lost terminal states: see converge.ts.
 */
import { createJobcastClient, type JobcastClient, type SubscriptionHandle } from '../../client/index.js';
import { isTerminalStatus, type JobStatus, type LifecycleEvent, type StatusEvent } from '../../shared/index.js';
import { waitFor } from '../support/harness.js';
import type { Scope } from './report.js';

export interface ObserverOptions {
  url: string;
  room: string;
  getToken: () => string;
  label: string;
  transports?: Array<'websocket' | 'polling'>;
  origin?: string;
}

export interface ObserverFindings {
  silentGaps: string[];
  duplicates: string[];
}

/** How far a state is along one attempt: waiting 1, running 2, done 3. */
const rank = (status: JobStatus) => (isTerminalStatus(status) ? 3 : status.state === 'active' || status.state === 'stalled' || status.state === 'failed' ? 2 : 1);

export class Observer {
  readonly client: JobcastClient;
  readonly handle: SubscriptionHandle;
  readonly label: string;
  readonly room: string;
  readonly delivered: StatusEvent[] = [];
  readonly #seen = new Set<string>();
  readonly #onScreen = new Map<string, JobStatus>();
  readonly #lastEventOf = new Map<string, string>();
  readonly silentGaps: string[] = [];
  readonly duplicates: string[] = [];
  #lastEpoch: string | undefined;
  #lastSeq = 0;
  #resyncedAtLast = 0;
  #baselined = false;

  constructor(options: ObserverOptions) {
    this.label = options.label;
    this.room = options.room;
    this.client = createJobcastClient({
      url: options.url,
      getToken: options.getToken,
      reconnectDelayMs: 100,
      reconnectDelayMaxMs: 1_000,
      ackTimeoutMs: 4_000,
      logSize: 2_000,
      socketOptions: {
        transports: options.transports ?? ['websocket'],
        ...(options.origin ? { extraHeaders: { origin: options.origin } } : {}),
      },
    });
    this.handle = this.client.subscribe(options.room, (event) => this.#onEvent(event));
    this.handle.subscribe(() => this.#onChange());
  }

  /** Waits for the first subscription, and takes its cursor as the baseline of the listener's stream. */
  async ready(timeoutMs = 20_000): Promise<void> {
    await waitFor(() => this.handle.getSnapshot().state === 'active', `${this.label} subscribed to ${this.room}`, timeoutMs);
    const snapshot = this.handle.getSnapshot();
    if (!this.#baselined) {
      this.#baselined = true;
      this.#lastEpoch = snapshot.epoch;
      this.#lastSeq = snapshot.seq;
      this.#resyncedAtLast = snapshot.gaps.resynced;
    }
  }

  /** What the page shows, by job id (each scenario uses one queue; the room keys jobs by queue/jobId). */
  jobs(): Readonly<Record<string, JobStatus>> {
    return Object.fromEntries(Object.values(this.handle.getSnapshot().jobs).map((status) => [status.jobId, status]));
  }

  #onEvent(event: StatusEvent): void {
    this.delivered.push(event);
    const key = `${event.epoch}:${event.seq}`;
    if (this.#seen.has(key)) {
      this.duplicates.push(`${this.label}: ${this.room} seq ${event.seq} (epoch ${event.epoch.slice(0, 8)}) delivered twice`);
      return;
    }
    this.#seen.add(key);
    const before = this.#onScreen.get(event.status.jobId);
    this.#onScreen.set(event.status.jobId, event.status);
    const why = before && before !== event.status ? backwards(before, event.status, event.event) : undefined;
    const previous = this.#lastEventOf.get(event.status.jobId);
    this.#lastEventOf.set(event.status.jobId, `${event.event} seq ${event.seq}`);
    if (why) this.duplicates.push(`${this.label}: job ${event.status.jobId.slice(0, 12)} went backwards: ${why} (${previous ?? 'snapshot'} → ${event.event} seq ${event.seq})`);
    const snapshot = this.handle.getSnapshot();
    const resynced = snapshot.gaps.resynced;
    if (!this.#baselined) {
      // Events applied with the very first ack follow its snapshot without a hole (the client buffers
      // anything past a hole), so the stream starts just before the first of them.
      this.#baselined = true;
      this.#lastEpoch = event.epoch;
      this.#lastSeq = event.seq - 1;
      this.#resyncedAtLast = resynced;
    }
    const explained = resynced > this.#resyncedAtLast;
    if (event.epoch !== this.#lastEpoch) {
      if (!explained) this.silentGaps.push(`${this.label}: epoch changed ${this.#lastEpoch?.slice(0, 8)} → ${event.epoch.slice(0, 8)} without a counted resync`);
    } else if (event.seq <= this.#lastSeq) {
      this.duplicates.push(`${this.label}: ${this.room} seq ${event.seq} delivered after seq ${this.#lastSeq} (out of order)`);
      return;
    } else if (event.seq > this.#lastSeq + 1 && !explained) {
      this.silentGaps.push(`${this.label}: ${this.room} listener jumped from seq ${this.#lastSeq} to ${event.seq} with no resync counted`);
    }
    this.#lastEpoch = event.epoch;
    this.#lastSeq = event.seq;
    this.#resyncedAtLast = resynced;
  }

  #onChange(): void {
    // The room calls `changed` before handing the same batch to the listener: look once both ran,
    // so a status that came with an event is judged with its event, and only the rest (snapshots,
    // jobs marked lost) is judged here.
    queueMicrotask(() => {
      for (const [id, status] of Object.entries(this.jobs())) {
        const before = this.#onScreen.get(id);
        if (before === status) continue;
        this.#onScreen.set(id, status);
        const why = before && backwards(before, status, 'snapshot');
        if (why) this.duplicates.push(`${this.label}: job ${id.slice(0, 12)} went backwards on screen: ${why}`);
      }
    });
  }

  /** After convergence: what the listener's stream and the room's counters say. */
  findings(server?: { epoch: string; seq: number }): ObserverFindings {
    const snapshot = this.handle.getSnapshot();
    const silentGaps = [...this.silentGaps];
    const { gaps } = snapshot;
    const pending = gaps.ranges.filter((range) => range.outcome === 'pending').length;
    if (gaps.detected !== gaps.replayed + gaps.resynced + pending) {
      silentGaps.push(`${this.label}: gaps.detected ${gaps.detected} ≠ replayed ${gaps.replayed} + resynced ${gaps.resynced} + pending ${pending}`);
    }
    if (snapshot.epoch === this.#lastEpoch && snapshot.seq > this.#lastSeq && snapshot.gaps.resynced === this.#resyncedAtLast) {
      silentGaps.push(`${this.label}: cursor at ${snapshot.seq} but the listener got up to ${this.#lastSeq}, with no resync`);
    }
    if (server && (server.epoch !== snapshot.epoch || server.seq !== snapshot.seq)) {
      silentGaps.push(`${this.label}: client cursor ${snapshot.epoch?.slice(0, 8)}:${snapshot.seq} ≠ server ${server.epoch.slice(0, 8)}:${server.seq} after convergence`);
    }
    return { silentGaps, duplicates: [...this.duplicates] };
  }

  /** Releases the room and the connection. */
  close(): void {
    this.handle.unsubscribe();
    this.client.close();
  }
}

/**
 * Why `after` shows a job further back than `before` did, or undefined when it does not.
 * BullMQ itself moves a job back to waiting (a stall: `waiting` then `stalled`; a retry), so a
 * BullMQ lifecycle event may lower the state within an attempt; a snapshot, a reconciliation or
 * a progress event may not.
 */
export function backwards(before: JobStatus, after: JobStatus, via: LifecycleEvent | 'snapshot'): string | undefined {
  if (before.state === after.state && before.attempt === after.attempt) return undefined;
  const describe = (status: JobStatus) => `${status.state}${status.willRetry ? '(retrying)' : ''}#${status.attempt}`;
  if (isTerminalStatus(before)) {
    // A job shown lost may still be corrected to its real end; nothing else may follow an end.
    if (before.state === 'unknown' && isTerminalStatus(after)) return undefined;
    return `${describe(before)} → ${describe(after)}`;
  }
  if (after.attempt < before.attempt) return `${describe(before)} → ${describe(after)} (attempt went down)`;
  const requeuedByBullMQ = via === 'waiting' || via === 'delayed' || via === 'stalled' || via === 'retrying';
  const retrying = before.state === 'stalled' || before.willRetry === true;
  if (after.attempt === before.attempt && rank(after) < rank(before) && !retrying && !requeuedByBullMQ) return `${describe(before)} → ${describe(after)}`;
  return undefined;
}

export function observe(scope: Scope, options: ObserverOptions): Observer {
  const observer = new Observer(options);
  scope.defer(() => observer.close());
  return observer;
}
