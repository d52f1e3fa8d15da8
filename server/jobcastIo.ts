import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../shared/index.js';
import type { SocketData } from './auth.js';
import type { NodeDebugSnapshot } from './debug/debugStats.js';

/** Names of the messages jobcast nodes send each other through the Socket.IO adapter. */
export const INTER_SERVER_EVENTS = {
  revoke: 'jobcast:revoke',
  debug: 'jobcast:debug',
} as const;

/**
 * Messages one jobcast node sends the others (`io.serverSideEmit`, which reaches every node:
 * kept for rare requests; statuses go out as room broadcasts). Another node may run
 * another version, so listeners still check what they receive.
 */
export interface InterServerEvents {
  /** Emitted by `revoke()`, so every node removes the user's sockets from the room (`null`: from every room). */
  [INTER_SERVER_EVENTS.revoke]: (userKey: string, room: string | null) => void;
  /** Emitted by the node serving a debug view; every other node answers with its own counts. */
  [INTER_SERVER_EVENTS.debug]: (room: string | null, reply: (snapshot: NodeDebugSnapshot) => void) => void;
}

/**
 * jobcast's Socket.IO server, typed with the protocol's event maps. An untyped `new Server()`
 * (or one typed with the app's own events) is accepted as `io` too.
 */
export type JobcastIo<User = unknown> = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData<User>>;

/** One connection of a {@link JobcastIo}; `socket.data` holds the user once the handshake is authenticated. */
export type JobcastSocket<User = unknown> = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData<User>>;
