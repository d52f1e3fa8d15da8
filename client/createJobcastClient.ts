import { io } from 'socket.io-client';
import type { Socket } from 'socket.io-client';
import { EVENTS, PROTOCOL_VERSION } from '../shared/protocol.js';
import type { ClientToServerEvents, ErrorCode, ServerToClientEvents, StatusEvent, WireError } from '../shared/index.js';
import { computeBackoffMs } from './backoff.js';
import { ConnectionStore } from './connection.js';
import type { TransitionFields } from './connection.js';
import { isJobcastClientError, refusalOfConnectError, toErrorMessage } from './errors.js';
import { EventLog } from './eventLog.js';
import { ConnectionWatch } from './connectionWatch.js';
import { resolveClientOptions } from './options.js';
import type { JobcastClientOptions, ResolvedClientOptions } from './options.js';
import { listenForPushes } from './pushHandlers.js';
import { RoomStore } from './roomStore.js';
import { createSubscriptionHandle } from './subscriptionHandle.js';
import { OneShotTimer } from './timer.js';
import { TokenRefresher } from './tokenRefresh.js';
import type { RoomStoreHost } from './roomStore.js';
import type { ClientDiagnostics, JobcastClient, JobcastRoom, SubscriptionHandle } from './types.js';

/** Handshake refusals that retrying with the same credentials cannot fix. */
const FATAL_CONNECT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'ORIGIN_NOT_ALLOWED',
  'UNSUPPORTED_PROTOCOL',
]);

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
/**
 * One sender per client → server event, its request typed by the event map. Each resolves with
 * the raw answer, `unknown` until the caller validates it (the server may run another version),
 * and rejects on timeout or disconnect.
 */
type Requests = { [Event in keyof ClientToServerEvents]: (request: Parameters<ClientToServerEvents[Event]>[0]) => Promise<unknown> };

/**
 * Creates a client. It connects at once unless `autoConnect` is false.
 *
 * @example
 * const client = createJobcastClient({ url: 'https://api.example.com', getToken: () => session.token });
 * const handle = client.subscribe('document:42', (event) => console.log(event.status.state));
 */
export function createJobcastClient(options: JobcastClientOptions): JobcastClient {
  return new Client(resolveClientOptions(options));
}

class Client implements JobcastClient {
  readonly connection: ConnectionStore;
  readonly log: EventLog;
  readonly #options: ResolvedClientOptions;
  readonly #socket: ClientSocket;
  readonly #host: RoomStoreHost;
  /** Held rooms: events are routed to these and they resubscribe on reconnect. */
  readonly #active = new Map<string, RoomStore>();
  /** Released rooms, weakly: `room()` returns the same store while anyone still has it, and the GC takes the rest. */
  readonly #idle = new Map<string, WeakRef<RoomStore>>();
  readonly #finalizer = new FinalizationRegistry<string>((room) => {
    if (this.#idle.get(room)?.deref() === undefined) this.#idle.delete(room);
  });
  #wantConnected = false;
  #closed = false;
  #retryAttempt = 0;
  readonly #retryTimer = new OneShotTimer();
  #authAttempt = 0;
  readonly #refresher: TokenRefresher;
  readonly #watch: ConnectionWatch;

  constructor(options: ResolvedClientOptions) {
    this.#options = options;
    this.log = new EventLog(options.logSize);
    this.connection = new ConnectionStore({ onListenerError: (error) => this.#listenerError(error) });
    this.#host = this.#createHost();
    this.#refresher = new TokenRefresher({
      getToken: async () => (await options.getToken?.()) ?? undefined,
      send: (token) => this.#requests(options.ackTimeoutMs)[EVENTS.refresh]({ token }),
      refreshed: () => {
        for (const store of [...this.#active.values()]) {
          if (store.getSnapshot().error?.code === 'TOKEN_EXPIRED') store.handleConnected();
        }
      },
      log: (outcome, detail) => this.log.add({ kind: 'refresh', detail: `${outcome}: ${detail}` }),
    });
    this.#socket = io(options.url, {
      forceNew: true, // one Manager per client, so two clients (two users, two tokens) never share a connection
      ...options.socketOptions,
      ...(options.path === undefined ? {} : { path: options.path }),
      autoConnect: false,
      reconnection: true, // the state machine below relies on Socket.IO retrying transport losses
      reconnectionDelay: options.reconnectDelayMs,
      reconnectionDelayMax: options.reconnectDelayMaxMs,
      randomizationFactor: 0.5,
      // A callback, so getToken runs again on every (re)connect.
      auth: (send) => this.#authenticate(send),
    });
    this.#watch = new ConnectionWatch({
      socket: this.#socket,
      connection: this.connection,
      log: this.log,
      rooms: this.#active,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs,
      watchNetwork: options.watchNetwork,
      // The heartbeat keeps its own deadline; this timeout only frees the callback of an answer that never comes.
      sendHeartbeat: this.#requests(Math.max(options.ackTimeoutMs, options.heartbeatTimeoutMs * 2))[EVENTS.heartbeat],
      wantsConnection: () => this.#wantConnected && !this.#closed,
      resetBackoff: () => {
        this.#retryAttempt = 0;
        this.#retryTimer.cancel();
      },
    });
    this.#listen();
    if (options.autoConnect) this.connect();
  }

  subscribe(room: string, listener?: (event: StatusEvent) => void): SubscriptionHandle {
    return createSubscriptionHandle(this.#store(room), listener);
  }

  room(room: string): JobcastRoom {
    return this.#store(room);
  }

  inspect(): ClientDiagnostics {
    const rooms = [...this.#active.values()].map((store) => ({
      room: store.room,
      refCount: store.refCount,
      snapshot: store.getSnapshot(),
      counters: store.getCounters(),
      timeline: store.getTimeline(),
    }));
    return { connection: this.connection.getSnapshot(), rooms, log: this.log.getSnapshot() };
  }

  connect(): void {
    if (this.#closed) return;
    this.#wantConnected = true;
    if (this.#socket.connected || this.#socket.active) return; // already connecting or reconnecting
    this.#retryTimer.cancel();
    this.connection.setConnecting();
    this.#socket.connect();
  }

  disconnect(): void {
    this.#wantConnected = false;
    this.#watch.pause();
    this.#refresher.cancel();
    this.#retryTimer.cancel();
    const wasConnected = this.#socket.connected;
    this.#socket.disconnect(); // emits 'disconnect' only when it was connected
    if (!wasConnected) this.connection.setDisconnected({ reason: 'io client disconnect' });
  }

  close(): void {
    if (this.#closed) return;
    this.disconnect();
    this.#closed = true;
    this.#watch.close();
    for (const store of this.#active.values()) store.dispose();
    this.#active.clear();
  }

  #store(room: string): RoomStore {
    const existing = this.#active.get(room) ?? this.#idle.get(room)?.deref();
    if (existing) return existing;
    const store = new RoomStore(room, this.#host);
    this.#idle.set(room, new WeakRef(store));
    this.#finalizer.register(store, room);
    return store;
  }

  /** The requests this client makes, each waiting `timeoutMs` for its ack. */
  #requests(timeoutMs: number): Requests {
    const socket = () => this.#socket.timeout(timeoutMs);
    return {
      [EVENTS.subscribe]: (request) => socket().emitWithAck(EVENTS.subscribe, request),
      [EVENTS.unsubscribe]: (request) => socket().emitWithAck(EVENTS.unsubscribe, request),
      [EVENTS.replay]: (request) => socket().emitWithAck(EVENTS.replay, request),
      [EVENTS.refresh]: (request) => socket().emitWithAck(EVENTS.refresh, request),
      [EVENTS.heartbeat]: (request) => socket().emitWithAck(EVENTS.heartbeat, request),
    };
  }

  #createHost(): RoomStoreHost {
    const options = this.#options;
    const requests = this.#requests(options.ackTimeoutMs);
    return {
      unsubscribeDelayMs: options.unsubscribeDelayMs,
      gapGraceMs: options.gapGraceMs,
      retryDelayMs: options.reconnectDelayMs,
      retryDelayMaxMs: options.reconnectDelayMaxMs,
      isConnected: () => this.#socket.connected,
      subscribe: requests[EVENTS.subscribe],
      unsubscribe: requests[EVENTS.unsubscribe],
      replay: requests[EVENTS.replay],
      log: (entry) => void this.log.add(entry),
      activate: (store) => {
        this.#idle.delete(store.room);
        this.#active.set(store.room, store);
      },
      deactivate: (store) => {
        if (this.#active.get(store.room) === store) this.#active.delete(store.room);
        this.#idle.set(store.room, new WeakRef(store));
      },
    };
  }

  #listen(): void {
    const socket = this.#socket;
    socket.on('connect', () => {
      this.#retryAttempt = 0;
      this.#retryTimer.cancel();
      const transport = socket.io.engine?.transport?.name;
      this.connection.setConnected(transport);
      this.log.add({ kind: 'connect', detail: `transport ${transport ?? 'unknown'}` });
      this.#watch.connected();
      for (const store of [...this.#active.values()]) store.handleConnected();
    });
    socket.on('disconnect', (socketReason) => {
      const reason = this.#watch.disconnected(socketReason);
      this.log.add({ kind: 'disconnect', message: reason });
      for (const store of [...this.#active.values()]) store.handleDisconnected();
      if (!this.#wantConnected || reason === 'io client disconnect') this.connection.setDisconnected({ reason });
      // Socket.IO does not come back by itself after the server closed the socket; we do, with backoff.
      else if (reason === 'io server disconnect') this.#scheduleReconnect({ reason });
      else this.connection.setReconnecting({ reason, attempt: 0 });
    });
    socket.on('connect_error', (error) => this.#onConnectError(error));
    socket.io.on('reconnect_attempt', (attempt) => {
      const { reason, error } = this.connection.getSnapshot();
      this.connection.setReconnecting({ attempt, reason, error });
    });
    socket.io.on('open', () => socket.io.engine.on('upgrade', (transport) => this.connection.setTransport(transport.name)));
    listenForPushes(socket, {
      log: this.log,
      rooms: this.#active,
      hello: (hello) => {
        this.connection.setHello(hello);
        this.#refresher.schedule(hello.expiresAt);
      },
      // An expired token: fetch a fresh one; once accepted, the room is subscribed again.
      revoked: (revoked) => void (revoked.code === 'TOKEN_EXPIRED' && this.#refresher.refreshNow()),
    });
  }

  #authenticate(send: (data: object) => void): void {
    const attempt = ++this.#authAttempt;
    const { getToken } = this.#options;
    Promise.resolve()
      .then(() => getToken?.())
      .then(
        (token) => {
          if (attempt !== this.#authAttempt || !this.#wantConnected) return;
          send(typeof token === 'string' ? { token, protocol: PROTOCOL_VERSION } : { protocol: PROTOCOL_VERSION });
        },
        (error: unknown) => {
          if (attempt !== this.#authAttempt || !this.#wantConnected) return;
          // A JobcastClientError is the app's verdict (UNAUTHENTICATED stops retrying); anything else is retried.
          const wire: WireError = isJobcastClientError(error)
            ? error.toWire()
            : { code: 'UNAVAILABLE', message: `getToken failed: ${toErrorMessage(error)}` };
          this.log.add({ kind: 'connect_error', code: wire.code, message: wire.message, detail: 'getToken' });
          this.#socket.disconnect(); // abandon this attempt: no handshake without a token
          this.#onRefused(wire, isJobcastClientError(error));
        },
      );
  }

  #onConnectError(error: Error & { data?: unknown }): void {
    // Read now: the transport drops the refused request's body right after this event.
    const refusal = refusalOfConnectError(error);
    const wire: WireError = refusal ?? { code: 'UNAVAILABLE', message: error.message };
    this.log.add({ kind: 'connect_error', code: wire.code, message: wire.message, ...(wire.hint ? { detail: wire.hint } : {}) });
    if (!this.#wantConnected) return;
    // A refused Origin comes back as an HTTP 403 Socket.IO would retry forever: stop it, it cannot change.
    if (refusal && FATAL_CONNECT_CODES.has(refusal.code) && this.#socket.active) this.#socket.disconnect();
    // Still active means a transport failure Socket.IO retries by itself; a middleware refusal deactivates the socket.
    if (this.#socket.active) this.connection.setReconnecting({ reason: 'connect_error', error: wire });
    else this.#onRefused(wire, refusal !== undefined);
  }

  #onRefused(error: WireError, fromServer: boolean): void {
    if (fromServer && FATAL_CONNECT_CODES.has(error.code)) {
      this.#wantConnected = false;
      this.connection.setDisconnected({ reason: 'connect_error', error });
      return;
    }
    this.#scheduleReconnect({ reason: 'connect_error', error });
  }

  #scheduleReconnect(fields: TransitionFields): void {
    const attempt = ++this.#retryAttempt;
    this.connection.setReconnecting({ ...fields, attempt });
    const delayMs = computeBackoffMs(attempt, this.#options.reconnectDelayMs, this.#options.reconnectDelayMaxMs);
    this.#retryTimer.start(delayMs, () => {
      if (this.#wantConnected && !this.#socket.active) this.#socket.connect();
    });
  }

  #listenerError(error: unknown): void {
    this.log.add({ kind: 'listener-error', message: toErrorMessage(error) });
  }
}
