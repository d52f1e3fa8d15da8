import { Subscribable } from './subscribable.js';
import type { Hello, RecoveryWindow, WireError } from '../shared/index.js';

/** Where the connection is in its life. */
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

/** One entry of the connection's timeline, for the debug panel. */
export interface ConnectionTransition {
  readonly at: number;
  readonly state: ConnectionState;
  readonly reason?: string;
  readonly attempt?: number;
  readonly code?: WireError['code'];
}

/** What the connection store holds; a new object on every change, the same one otherwise. */
export interface ConnectionSnapshot {
  readonly state: ConnectionState;
  /** Reconnect attempts since the last successful connect. */
  readonly attempt: number;
  /** Why the connection left 'connected' (a Socket.IO disconnect reason, or 'connect_error'). */
  readonly reason?: string;
  /** The last refusal or failure, cleared on connect. */
  readonly error?: WireError;
  /** 'polling' or 'websocket' (or 'webtransport') while connected. */
  readonly transport?: string;
  /** The server node that said hello on this connection. */
  readonly nodeId?: string;
  /** How long the server keeps history: how long this client may be away and still be replayed. */
  readonly window?: RecoveryWindow;
  /** When the current connection was established (epoch ms). */
  readonly connectedAt?: number;
  /** The last {@link TIMELINE_SIZE} transitions, oldest first. */
  readonly timeline: readonly ConnectionTransition[];
}

/** How many transitions the timeline keeps. */
export const TIMELINE_SIZE = 100;

/** Fields a transition may set besides the state. */
export interface TransitionFields {
  readonly attempt?: number;
  readonly reason?: string;
  readonly error?: WireError;
}

/** The connection state machine as a store (`getSnapshot` + `subscribe`), fed by the client. */
export class ConnectionStore extends Subscribable<() => void> {
  #snapshot: ConnectionSnapshot = { state: 'idle', attempt: 0, timeline: [] };
  readonly #now: () => number;
  readonly #reportError: ((error: unknown) => void) | undefined;

  constructor(options: { now?: () => number; onListenerError?: (error: unknown) => void } = {}) {
    super();
    this.#now = options.now ?? Date.now;
    this.#reportError = options.onListenerError;
  }

  /** The current snapshot; the same object until something changes. */
  getSnapshot = (): ConnectionSnapshot => this.#snapshot;

  /** A connect was started by the application. */
  setConnecting(): void {
    this.#transition('connecting', { attempt: 0 });
  }

  /** The server accepted the connection. */
  setConnected(transport: string | undefined): void {
    this.#transition('connected', { attempt: 0 }, { transport, connectedAt: this.#now() });
  }

  /** The connection is lost or was refused, and a new attempt is coming. */
  setReconnecting(fields: TransitionFields = {}): void {
    this.#transition('reconnecting', { ...fields, attempt: fields.attempt ?? this.#snapshot.attempt });
  }

  /** The connection is closed and nothing will reopen it but the application. */
  setDisconnected(fields: TransitionFields = {}): void {
    this.#transition('disconnected', { ...fields, attempt: 0 });
  }

  /** The server said hello: remember which node and its recovery window. */
  setHello(hello: Hello): void {
    this.#update({ nodeId: hello.nodeId, window: hello.window });
  }

  /** The transport changed while connected (polling upgraded to websocket). */
  setTransport(transport: string): void {
    if (this.#snapshot.transport !== transport) this.#update({ transport });
  }

  #transition(state: ConnectionState, fields: TransitionFields, extra: Partial<ConnectionSnapshot> = {}): void {
    const previous = this.#snapshot;
    const same =
      previous.state === state &&
      previous.attempt === fields.attempt &&
      previous.reason === fields.reason &&
      previous.error?.code === fields.error?.code;
    if (same) return;
    const entry: ConnectionTransition = {
      at: this.#now(),
      state,
      ...(fields.reason === undefined ? {} : { reason: fields.reason }),
      ...(fields.attempt ? { attempt: fields.attempt } : {}),
      ...(fields.error === undefined ? {} : { code: fields.error.code }),
    };
    // Transport and start time describe a live connection only, so a transition drops them;
    // the node and its window stay visible until the next hello replaces them.
    this.#snapshot = {
      nodeId: previous.nodeId,
      window: previous.window,
      state,
      attempt: fields.attempt ?? 0,
      reason: fields.reason,
      error: fields.error,
      ...extra,
      timeline: [...previous.timeline, entry].slice(-TIMELINE_SIZE),
    };
    this.notify();
  }

  #update(fields: Partial<ConnectionSnapshot>): void {
    this.#snapshot = { ...this.#snapshot, ...fields };
    this.notify();
  }

  protected override onListenerError(error: unknown): void {
    if (this.#reportError) this.#reportError(error);
    else super.onListenerError(error);
  }
}
