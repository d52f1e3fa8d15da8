import type { IncomingHttpHeaders } from 'node:http';
import { PROTOCOL_VERSION } from '../shared/index.js';
import { JobcastError, toJobcastError, toWireError } from './errors.js';
import type { JobcastSocket } from './jobcastIo.js';
import type { AuthContext, Authenticate, Logger } from './options.js';

/** What jobcast keeps on each socket. */
export interface SocketData<User> {
  user: User;
  /** Rooms this socket subscribed to (names as the client gave them, validated). */
  rooms: Set<string>;
  /** May this user debug (`canDebug`)? Then its statuses keep the worker's host and pid. */
  debug?: boolean;
}

/** Reads the bearer token from an `Authorization` header. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header) : null;
  return match?.[1];
}

/** Runs `authenticate`, turning "no user" and anything thrown into a JobcastError. */
export async function authenticateContext<User>(authenticate: Authenticate<User>, context: AuthContext): Promise<User> {
  let user: User | null | undefined;
  try {
    user = await authenticate(context);
  } catch (error) {
    if (error instanceof JobcastError) throw error;
    throw new JobcastError('UNAUTHENTICATED', 'Authentication failed.', { cause: error });
  }
  if (user === null || user === undefined) throw new JobcastError('UNAUTHENTICATED');
  return user;
}

/**
 * Socket.IO middleware: checks the protocol version and authenticates the handshake. A
 * refusal reaches the client as `connect_error` with `err.data = { code, message }`.
 */
export function createAuthMiddleware<User>(authenticate: Authenticate<User>, logger: Logger) {
  return async (socket: JobcastSocket<User>, next: (error?: Error) => void) => {
    try {
      const auth = (socket.handshake.auth ?? {}) as { token?: unknown; protocol?: unknown };
      if (auth.protocol !== undefined && auth.protocol !== PROTOCOL_VERSION) {
        throw new JobcastError('UNSUPPORTED_PROTOCOL', `This server speaks protocol ${PROTOCOL_VERSION}; the client sent ${String(auth.protocol)}.`);
      }
      const headers = socket.handshake.headers;
      const token = typeof auth.token === 'string' ? auth.token : bearerToken(headers);
      const user = await authenticateContext(authenticate, {
        token,
        headers,
        address: socket.handshake.address,
        origin: typeof headers.origin === 'string' ? headers.origin : undefined,
      });
      const data: SocketData<User> = { user, rooms: new Set() };
      Object.assign(socket.data, data);
      next();
    } catch (cause) {
      const error = toJobcastError(cause);
      if (error.code === 'INTERNAL') logger.error({ err: cause }, 'authenticate failed unexpectedly');
      else logger.debug({ code: error.code, address: socket.handshake.address }, 'handshake refused');
      next(Object.assign(new Error(error.message), { data: toWireError(error) }));
    }
  };
}
