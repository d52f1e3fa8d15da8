import {
  EVENTS,
  HeartbeatRequestSchema,
  RefreshRequestSchema,
  ReplayRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  isTerminalStatus,
  type ErrorAck,
  type ClientToServerEvents,
  type ErrorCode,
  type HeartbeatAck,
  type HeartbeatRoomState,
  type Hello,
  type StatusEvent,
  type SubscribeOk,
} from '../shared/index.js';
import type { RoomAccess } from './roomAccess.js';
import { JobcastError, toJobcastError, toWireError } from './errors.js';
import type { JobcastIo, JobcastSocket } from './jobcastIo.js';
import type { Logger } from './options.js';
import type { RoomStore } from './store/roomStore.js';
import { SocketGuard, type SocketLimits } from './limits.js';
import { DEBUG_SOCKETS_ROOM, type WorkerIdentityPolicy } from './security/workerIdentity.js';
import type { Sessions } from './sessions.js';

/** The Socket.IO room a jobcast room lives in; the prefix keeps it apart from socket-id rooms and the app's own. */
const SOCKET_ROOM_PREFIX = 'jobcast:';
export const socketRoom = (room: string) => `${SOCKET_ROOM_PREFIX}${room}`;

/** The jobcast room behind a Socket.IO room name, or undefined for rooms that are not ours (socket ids…). */
export const roomOfSocketRoom = (name: string) => (name.startsWith(SOCKET_ROOM_PREFIX) ? name.slice(SOCKET_ROOM_PREFIX.length) : undefined);

/** Most events one replay request may ask for. */
export const MAX_REPLAY_RANGE = 1_000;

/**
 * How long a heartbeat waits for the room cursors. The answer proves the connection alive, so
 * a slow or unreachable Redis must not delay it: past this it goes out without cursors.
 */
export const HEARTBEAT_READ_TIMEOUT_MS = 1_000;

export interface SocketHandlerDeps<User> {
  access: RoomAccess<User>;
  store: RoomStore;
  /** The hello for one connection (it carries that connection's credential expiry). */
  hello: (socket: JobcastSocket<User>) => Hello;
  sessions: Sessions<User>;
  limits: SocketLimits;
  /** Checks a refreshed token: the same `authenticate` as the handshake. */
  authenticate: (token: string, socket: JobcastSocket<User>) => Promise<User>;
  logger: Logger;
  /** Told about each refused message (rate, size, subscription count), for logs and metrics. */
  onBreach?: (code: ErrorCode, socketId: string) => void;
  /** Asks BullMQ for the real state of jobs a snapshot shows as still running. */
  reconcileStale: (events: StatusEvent[]) => void;
  /** Who sees the worker's host and pid in statuses; absent: every socket does (`exposeWorkerIdentity`). */
  workerIdentity?: WorkerIdentityPolicy<User>;
  /** Told about each subscribe outcome, for the debug views and metrics. */
  onSubscribe?: (outcome: { room: string; code: string; socketId: string; mode?: 'snapshot' | 'replay'; resync?: string; since?: boolean }) => void;
}

type Ack = (answer: unknown) => void;

/** What a client sends with `Event`, as the event map declares it (the server parses it before use). */
type RequestOf<Event extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[Event]>[0];
/** What the server acks `Event` with, as the event map declares it. */
type AnswerOf<Event extends keyof ClientToServerEvents> = Parameters<Parameters<ClientToServerEvents[Event]>[1]>[0];

/** What `handler` needs of a payload schema: classic zod and zod/mini (the shared protocol) both have it. */
interface PayloadParser<Output> {
  safeParse(data: unknown): { success: true; data: Output } | { success: false; error: { issues: ReadonlyArray<{ message: string }> } };
}

/** One connection's own state: what its handlers need besides the shared dependencies. */
interface Connection<User> {
  socket: JobcastSocket<User>;
  guard: SocketGuard;
  /** Bumped by each unsubscribe, so a subscribe still awaiting authorization does not join afterwards (made on the first unsubscribe). */
  generations?: Map<string, number>;
}

/** One client → server event: its payload's schema and what answers it. */
interface Handler<User, Event extends keyof ClientToServerEvents = keyof ClientToServerEvents> {
  schema: PayloadParser<RequestOf<Event>>;
  handle: (connection: Connection<User>, request: RequestOf<Event>) => Promise<AnswerOf<Event>>;
}

/** The entry of `event`'s handler, its request and answer tied to the event's types as the event map declares them. */
const handler = <User, Event extends keyof ClientToServerEvents>(
  event: Event,
  schema: PayloadParser<RequestOf<Event>>,
  handle: (connection: Connection<User>, request: RequestOf<Event>) => Promise<AnswerOf<Event>>,
): [string, Handler<User>] => [event, { schema, handle } as unknown as Handler<User>];

/**
 * Registers the client → server events on each socket. Every packet, whatever its event
 * (unknown ones too), passes the connection's limits first; every payload is parsed with
 * zod; bad input gets an error ack and the socket stays up; nothing thrown escapes a handler.
 * The handlers are made once for the server: a connection adds its own state and one
 * middleware that checks and dispatches its packets, not a set of listeners.
 */
export function registerSocketHandlers<User>(io: JobcastIo<User>, deps: SocketHandlerDeps<User>): void {
  const handlers = createHandlers(deps);
  io.on('connection', (socket) => {
    const connection: Connection<User> = { socket, guard: new SocketGuard(deps.limits) };
    socket.use(dispatchPackets(connection, handlers, deps));
    deps.sessions.track(socket);
    if (deps.workerIdentity && socket.data.debug) void socket.join(DEBUG_SOCKETS_ROOM);
    socket.emit(EVENTS.hello, deps.hello(socket));
  });
}

function createHandlers<User>(deps: SocketHandlerDeps<User>): Map<string, Handler<User>> {
  const shown = ({ socket }: Connection<User>, events: StatusEvent[]) => (deps.workerIdentity && !socket.data.debug ? deps.workerIdentity.filter.events(events) : events);
  const generationOf = ({ generations }: Connection<User>, room: string) => generations?.get(room) ?? 0;

  const subscribe = handler(EVENTS.subscribe, SubscribeRequestSchema, async (connection: Connection<User>, request): Promise<SubscribeOk> => {
    const { socket, guard } = connection;
    const { data } = socket;
    const { room, since } = request;
    const generation = generationOf(connection, room);
    try {
      guard.checkSubscribe(data.rooms.size, data.rooms.has(room));
      await deps.sessions.assertMaySubscribe(socket, room);
      await deps.access.authorize(data.user, room);
    } catch (error) {
      deps.onSubscribe?.({ room, code: toJobcastError(error).code, socketId: socket.id });
      throw error;
    }
    if (socket.disconnected || generation !== generationOf(connection, room)) {
      throw new JobcastError('NOT_SUBSCRIBED', 'Unsubscribed before the subscription completed.');
    }
    // Join before reading, so no event can fall between the snapshot and the live stream.
    await socket.join(socketRoom(room));
    data.rooms.add(room);
    let read;
    try {
      read = await deps.store.readRoom(room, since);
    } catch (error) {
      await socket.leave(socketRoom(room));
      data.rooms.delete(room);
      throw new JobcastError('UNAVAILABLE', undefined, { cause: error });
    }
    deps.onSubscribe?.({ room, code: 'OK', socketId: socket.id, mode: read.mode, since: since !== undefined, ...(read.resync ? { resync: read.resync } : {}) });
    const answer: SubscribeOk = {
      ok: true,
      room,
      epoch: read.epoch,
      seq: read.seq,
      mode: read.mode,
      jobs: read.mode === 'snapshot' ? shown(connection, read.events) : [],
      events: read.mode === 'replay' ? shown(connection, read.events) : [],
    };
    if (read.resync) answer.resync = read.resync;
    if (read.mode === 'snapshot') deps.reconcileStale(read.events.filter((event) => !isTerminalStatus(event.status)));
    return answer;
  });

  const unsubscribe = handler(EVENTS.unsubscribe, UnsubscribeRequestSchema, async (connection: Connection<User>, { room }) => {
    const { socket } = connection;
    connection.generations ??= new Map();
    connection.generations.set(room, generationOf(connection, room) + 1);
    if (!socket.data.rooms.delete(room)) throw new JobcastError('NOT_SUBSCRIBED', `This connection is not subscribed to "${room}".`);
    await socket.leave(socketRoom(room));
    return { ok: true as const };
  });

  const refresh = handler(EVENTS.refresh, RefreshRequestSchema, async ({ socket }: Connection<User>, { token }) => {
    const user = await deps.authenticate(token, socket);
    const expiresAt = await deps.sessions.refresh(socket, user);
    if (deps.workerIdentity) {
      socket.data.debug = await deps.workerIdentity.maySee(user);
      await (socket.data.debug ? socket.join(DEBUG_SOCKETS_ROOM) : socket.leave(DEBUG_SOCKETS_ROOM));
    }
    return expiresAt === undefined ? { ok: true as const } : { ok: true as const, expiresAt };
  });

  const heartbeat = handler(EVENTS.heartbeat, HeartbeatRequestSchema, async ({ socket }: Connection<User>, { rooms }): Promise<HeartbeatAck> => {
    // Only rooms this socket is subscribed to get a cursor: another room's activity is not its business.
    const read = Promise.all(
      rooms.map(async ({ room }): Promise<HeartbeatRoomState> => {
        if (!socket.data.rooms.has(room)) return { room, subscribed: false };
        const { epoch, seq } = await deps.store.cursorOf(room);
        return epoch === undefined ? { room, subscribed: true } : { room, subscribed: true, epoch, seq };
      }),
    );
    const states = await withinMs(HEARTBEAT_READ_TIMEOUT_MS, read);
    return { ok: true, at: Date.now(), rooms: states ?? [] };
  });

  const replay = handler(EVENTS.replay, ReplayRequestSchema, async (connection: Connection<User>, { room, epoch, after, to }) => {
    if (!connection.socket.data.rooms.has(room)) throw new JobcastError('NOT_SUBSCRIBED', `Subscribe to "${room}" before asking for its history.`);
    if (to <= after || to - after > MAX_REPLAY_RANGE) {
      throw new JobcastError('BAD_REQUEST', `A replay covers 1 to ${MAX_REPLAY_RANGE} events (after < seq <= to).`);
    }
    try {
      const range = await deps.store.readRange(room, epoch, after, to);
      return { ok: true as const, ...range, events: shown(connection, range.events) };
    } catch (error) {
      throw new JobcastError('UNAVAILABLE', undefined, { cause: error });
    }
  });

  return new Map([subscribe, unsubscribe, refresh, heartbeat, replay]);
}

/** Resolves with `work`'s value, or undefined when it fails or takes longer than `ms`. */
function withinMs<T>(ms: number, work: Promise<T>): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([work.catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
}

/** Longest event name echoed back in an "unknown event" answer. */
const MAX_ECHOED_EVENT_NAME = 64;

/**
 * Socket.IO middleware that every incoming packet passes before anything else, so no kind of
 * message escapes the connection's limits (subscribe, heartbeat, refresh, or an event this
 * server does not handle). A refused packet is acked `{ ok: false, error }` when it asked for
 * an answer and dropped. A jobcast event is answered here, by its handler; another event goes
 * on to the app's own listeners, and one nobody listens to is answered BAD_REQUEST.
 */
function dispatchPackets<User>(connection: Connection<User>, handlers: ReadonlyMap<string, Handler<User>>, deps: SocketHandlerDeps<User>) {
  const { socket, guard } = connection;
  return (packet: unknown[], next: (error?: Error) => void) => {
    const [event, ...args] = packet;
    const ack = typeof args.at(-1) === 'function' ? (args.pop() as Ack) : undefined;
    try {
      guard.checkMessage(args.length === 1 ? args[0] : args);
    } catch (error) {
      refuse(socket, guard, deps, error, ack);
      return;
    }
    const handler = typeof event === 'string' ? handlers.get(event) : undefined;
    if (handler) return void answer(connection, event as string, handler, args[0], ack, deps);
    if (typeof event === 'string' && socket.listenerCount(event) > 0) return next();
    const name = JSON.stringify(String(event).slice(0, MAX_ECHOED_EVENT_NAME));
    ack?.({ ok: false, error: toWireError(new JobcastError('BAD_REQUEST', `This server does not handle the event ${name}.`)) } satisfies ErrorAck);
  };
}

/**
 * Answers a breach of the connection's limits: counted, acked with its code, and once the
 * client has breached `maxConsecutiveBreaches` times in a row, a notice saying so and a disconnect.
 */
function refuse<User>(socket: JobcastSocket<User>, guard: SocketGuard, deps: SocketHandlerDeps<User>, cause: unknown, ack: ((answer: ErrorAck) => void) | undefined): void {
  const error = toJobcastError(cause);
  deps.onBreach?.(error.code, socket.id);
  ack?.({ ok: false, error: toWireError(error) } satisfies ErrorAck);
  if (!guard.exhausted || socket.disconnected) return;
  deps.logger.warn({ socketId: socket.id, code: error.code }, 'client kept breaching its limits; disconnecting');
  socket.emit(EVENTS.notice, {
    code: error.code,
    message: `${error.message} Disconnected after ${guard.maxConsecutiveBreaches} refused messages in a row.`,
  });
  socket.disconnect(true);
}

/**
 * Answers one jobcast event: parse with zod, run, and ack `{ ok: false, error }` on any
 * failure. Never throws. (The connection's limits were checked by `dispatchPackets`.)
 */
async function answer<User>(connection: Connection<User>, event: string, { schema, handle }: Handler<User>, payload: unknown, ack: Ack | undefined, deps: SocketHandlerDeps<User>): Promise<void> {
  const { socket, guard } = connection;
  const reply: Ack = ack ?? (() => undefined);
  const fail = (cause: unknown) => {
    const error = toJobcastError(cause);
    if (error.code === 'INTERNAL' || error.code === 'UNAVAILABLE') deps.logger.error({ err: cause, event, socketId: socket.id }, 'handler failed');
    reply({ ok: false, error: toWireError(error) } satisfies ErrorAck);
  };
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    return fail(new JobcastError('BAD_REQUEST', `Invalid "${event}" payload: ${parsed.error.issues[0]?.message ?? 'malformed'}.`));
  }
  try {
    const answer = await handle(connection, parsed.data);
    guard.passed();
    reply(answer);
  } catch (cause) {
    const code = toJobcastError(cause).code;
    // A breach found by the handler (the subscribe rate, the subscription count) counts like one found on arrival.
    if (code === 'RATE_LIMITED' || code === 'TOO_MANY_SUBSCRIPTIONS') return refuse(socket, guard, deps, cause, reply);
    fail(cause);
  }
}
