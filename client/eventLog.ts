import { Subscribable } from './subscribable.js';
import type { ErrorCode } from '../shared/index.js';

/** What happened, in the debug panel's words. */
export type LogKind =
  | 'connect'
  | 'disconnect'
  | 'connect_error'
  | 'hello'
  | 'subscribe'
  | 'subscribed'
  | 'rejected'
  | 'unsubscribe'
  | 'status'
  | 'duplicate'
  | 'gap'
  | 'replayed'
  | 'resync'
  | 'revoked'
  | 'notice'
  | 'refresh'
  | 'heartbeat'
  | 'network'
  | 'invalid-message'
  | 'listener-error';

/** One entry of the client's event log. */
export interface LogEntry {
  /** Increases by one per entry, so a panel can key rows and spot dropped ones. */
  readonly id: number;
  readonly at: number;
  readonly kind: LogKind;
  readonly room?: string;
  /** With `jobId`, names the job: ids are unique per queue only. */
  readonly queue?: string;
  readonly jobId?: string;
  readonly seq?: number;
  readonly correlationId?: string;
  /** For a status event: now minus the server's ingest time. */
  readonly latencyMs?: number;
  readonly code?: ErrorCode;
  readonly message?: string;
  readonly detail?: string;
}

/** An entry before the log numbers and dates it. */
export type LogInput = Omit<LogEntry, 'id' | 'at'>;

/** A bounded ring buffer of {@link LogEntry}, subscribable so a panel re-renders on new entries. */
export class EventLog extends Subscribable<() => void> {
  readonly #size: number;
  readonly #now: () => number;
  readonly #ring: LogEntry[] = [];
  #head = 0;
  #nextId = 1;
  #snapshot: readonly LogEntry[] | undefined = [];

  constructor(size: number, now: () => number = Date.now) {
    super();
    this.#size = size;
    this.#now = now;
  }

  /** Records an entry (dropping the oldest when full) and notifies listeners. */
  add(input: LogInput): LogEntry {
    const entry: LogEntry = { id: this.#nextId++, at: this.#now(), ...input };
    if (this.#size === 0) return entry;
    if (this.#ring.length < this.#size) this.#ring.push(entry);
    else {
      this.#ring[this.#head] = entry;
      this.#head = (this.#head + 1) % this.#size;
    }
    // Built lazily: a burst of events costs one copy when someone reads, not one per entry.
    this.#snapshot = undefined;
    this.notify();
    return entry;
  }

  /** The kept entries, oldest first; the same array until the next entry. */
  getSnapshot = (): readonly LogEntry[] => {
    this.#snapshot ??= [...this.#ring.slice(this.#head), ...this.#ring.slice(0, this.#head)];
    return this.#snapshot;
  };
}
