import type { ClientDiagnostics, JobcastClient, JobcastStore, RoomDiagnostics } from '../../index.js';
import { SERVER_CONNECTION, SERVER_LOG } from '../serverSnapshots.js';

/** Diagnostics of a client nothing is known about (server rendering, hydration). */
export const EMPTY_DIAGNOSTICS: ClientDiagnostics = Object.freeze({ connection: SERVER_CONNECTION, rooms: Object.freeze([]), log: SERVER_LOG });

/** How often held rooms are re-read when nothing was logged (reference counts change silently). @default 1000 */
export const INSPECT_TICK_MS = 1_000;

/**
 * `client.inspect()` as a store for `useSyncExternalStore`: the core has no store for the
 * list of held rooms, so this re-reads it after every log entry or connection change
 * (deferred a tick, because rooms log before they publish) and on a slow timer, and keeps
 * the previous object when nothing changed.
 */
export class Inspector implements JobcastStore<ClientDiagnostics> {
  readonly #client: JobcastClient;
  readonly #tickMs: number;
  readonly #listeners = new Set<() => void>();
  #snapshot: ClientDiagnostics | undefined;
  #stop: (() => void) | undefined;
  #scheduled: ReturnType<typeof setTimeout> | undefined;

  constructor(client: JobcastClient, tickMs = INSPECT_TICK_MS) {
    this.#client = client;
    this.#tickMs = tickMs;
  }

  /** The latest diagnostics; the same object until something the panel shows changed. */
  getSnapshot = (): ClientDiagnostics => {
    this.#snapshot ??= this.#client.inspect();
    return this.#snapshot;
  };

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    if (this.#listeners.size === 1) this.#start();
    return () => {
      if (this.#listeners.delete(listener) && this.#listeners.size === 0) this.#halt();
    };
  };

  /** Re-reads the client now and notifies when something changed. */
  refresh = (): void => {
    const next = this.#client.inspect();
    if (this.#snapshot !== undefined && sameDiagnostics(this.#snapshot, next)) return;
    this.#snapshot = next;
    for (const listener of [...this.#listeners]) listener();
  };

  #start(): void {
    const later = () => {
      this.#scheduled ??= setTimeout(() => {
        this.#scheduled = undefined;
        this.refresh();
      }, 0);
    };
    const offLog = this.#client.log.subscribe(later);
    const offConnection = this.#client.connection.subscribe(later);
    const timer = setInterval(this.refresh, this.#tickMs);
    this.#stop = () => {
      offLog();
      offConnection();
      clearInterval(timer);
      clearTimeout(this.#scheduled);
      this.#scheduled = undefined;
    };
    this.refresh();
  }

  #halt(): void {
    this.#stop?.();
    this.#stop = undefined;
  }
}

const sameRoom = (a: RoomDiagnostics, b: RoomDiagnostics): boolean =>
  a.room === b.room &&
  a.refCount === b.refCount &&
  a.snapshot === b.snapshot &&
  a.counters.received === b.counters.received &&
  a.counters.applied === b.counters.applied &&
  a.counters.duplicates === b.counters.duplicates;

/** True when two inspections show the same thing (snapshots are compared by identity). */
export function sameDiagnostics(a: ClientDiagnostics, b: ClientDiagnostics): boolean {
  return (
    a.connection === b.connection &&
    a.log === b.log &&
    a.rooms.length === b.rooms.length &&
    a.rooms.every((room, index) => sameRoom(room, b.rooms[index]!))
  );
}
