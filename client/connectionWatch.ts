import type { Socket } from 'socket.io-client';
import type { ClientToServerEvents, HeartbeatRequest, ServerToClientEvents } from '../shared/index.js';
import type { ConnectionStore } from './connection.js';
import type { EventLog } from './eventLog.js';
import { Heartbeat } from './heartbeat.js';
import type { HeartbeatEntry } from './heartbeat.js';
import { watchNetworkSignals } from './networkSignals.js';
import type { RoomStore } from './roomStore.js';

/** What a {@link ConnectionWatch} needs from the client. */
export interface ConnectionWatchDeps {
  readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  readonly connection: ConnectionStore;
  readonly log: EventLog;
  /** The rooms currently held, by name. */
  readonly rooms: ReadonlyMap<string, RoomStore>;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly watchNetwork: boolean;
  /** Sends a heartbeat; resolves with the raw answer. */
  sendHeartbeat(request: HeartbeatRequest): Promise<unknown>;
  /** True while the application wants a connection (not after `disconnect()`, `close()` or a final refusal). */
  wantsConnection(): boolean;
  /** Forgets the client's own reconnect backoff (the one for server-side disconnects and refusals). */
  resetBackoff(): void;
}

/**
 * Finds dead connections fast and brings them back quickly: the heartbeat (no answer in time
 * means the transport is dropped and reopened), and the browser's `offline` (drop now),
 * `online` and `visibilitychange` (check or reconnect now, with the backoff restarted short).
 */
export class ConnectionWatch {
  readonly #deps: ConnectionWatchDeps;
  readonly #heartbeat: Heartbeat;
  readonly #unwatchNetwork: () => void;
  /** Why the client itself dropped the transport, reported as the disconnect reason. */
  #dropReason: string | undefined;

  constructor(deps: ConnectionWatchDeps) {
    this.#deps = deps;
    this.#heartbeat = new Heartbeat({
      intervalMs: deps.heartbeatIntervalMs,
      timeoutMs: deps.heartbeatTimeoutMs,
      entries: () => this.#entries(),
      send: (request) => deps.sendHeartbeat(request),
      dead: (detail) => {
        deps.log.add({ kind: 'heartbeat', message: 'heartbeat timeout', detail: `${detail}; reconnecting` });
        this.#dropTransport('heartbeat timeout');
      },
      log: (entry) => void deps.log.add(entry),
    });
    // Anything the server sends proves the connection alive, Engine.IO's pings included.
    deps.socket.io.on('packet', () => this.#heartbeat.heard());
    deps.socket.io.on('ping', () => this.#heartbeat.heard());
    this.#unwatchNetwork = deps.watchNetwork ? this.#watchNetwork() : () => undefined;
  }

  /** The socket connected. */
  connected(): void {
    this.#dropReason = undefined;
    this.#heartbeat.start();
  }

  /** The socket disconnected; returns the reason to report (ours, when the client dropped it). */
  disconnected(socketReason: string): string {
    const reason = this.#dropReason ?? socketReason;
    this.#dropReason = undefined;
    this.#heartbeat.stop();
    return reason;
  }

  /** The client disconnects on purpose: no heartbeat until the next connect. */
  pause(): void {
    this.#heartbeat.stop();
  }

  /** The client is closing for good. */
  close(): void {
    this.#heartbeat.stop();
    this.#unwatchNetwork();
  }

  #entries(): HeartbeatEntry[] {
    const entries: HeartbeatEntry[] = [];
    for (const store of this.#deps.rooms.values()) {
      const found = store.heartbeatEntry();
      if (found) entries.push({ entry: found.entry, deliver: (answer) => store.handleHeartbeat(answer, found.token) });
    }
    return entries;
  }

  /** Drops a transport known to be dead although the socket has not noticed; Socket.IO then reconnects, its backoff restarted. */
  #dropTransport(reason: string): void {
    if (!this.#deps.socket.connected) return;
    this.#dropReason = reason;
    this.#deps.socket.io.engine.close();
  }

  /** Checks a live connection now, or reconnects at once instead of waiting out a delay that grew while the network was away. */
  #checkNow(reason: string): void {
    const { socket, connection, log } = this.#deps;
    if (!this.#deps.wantsConnection()) return;
    if (socket.connected) return this.#heartbeat.beatNow();
    log.add({ kind: 'network', message: reason, detail: 'reconnecting now' });
    this.#deps.resetBackoff();
    // Disconnecting an inactive socket cancels Socket.IO's pending attempt and resets its backoff, without a 'disconnect' event.
    socket.disconnect();
    connection.setReconnecting({ reason, attempt: 0 });
    socket.connect();
  }

  #watchNetwork(): () => void {
    const { socket, connection, log } = this.#deps;
    return watchNetworkSignals({
      // Engine.IO may have closed the transport already (it listens too, for hosts other than localhost).
      offline: () => {
        log.add({ kind: 'network', message: 'offline', detail: 'the browser lost its network' });
        if (socket.connected) this.#dropTransport('offline');
        else if (this.#deps.wantsConnection()) connection.setReconnecting({ reason: 'offline', attempt: connection.getSnapshot().attempt });
      },
      online: () => this.#checkNow('online'),
      visible: () => this.#checkNow('page visible'),
    });
  }
}
