import type { Redis } from 'ioredis';
import { EVENTS, type ErrorCode } from '../shared/index.js';
import { JobcastError } from './errors.js';
import { INTER_SERVER_EVENTS, type JobcastIo, type JobcastSocket } from './jobcastIo.js';
import type { Logger } from './options.js';
import type { RoomAccess } from './roomAccess.js';
import { socketRoom } from './socketHandlers.js';
import type { Keys } from './store/keys.js';

/** What sessions need to know about a user, with defaults that fit jobcast's own tokens. */
export interface UserPolicy<User> {
  /** A stable key for the user, used by `revoke`. @default user.sub ?? user.id */
  userKey: (user: User) => string | undefined;
  /** When the user's credentials expire (epoch ms). @default user.exp × 1000 for token claims */
  expiresAt: (user: User) => number | undefined;
}

/** Reads `sub`/`id` and `exp` the way jobcast's tokens (and most JWTs) carry them. */
export const defaultUserPolicy: UserPolicy<unknown> = {
  userKey: (user) => {
    const record = user as { sub?: unknown; id?: unknown } | null;
    const key = record?.sub ?? record?.id;
    return typeof key === 'string' || typeof key === 'number' ? String(key) : undefined;
  },
  expiresAt: (user) => {
    const exp = (user as { exp?: unknown } | null)?.exp;
    return typeof exp === 'number' ? exp * 1_000 : undefined;
  },
};

/**
 * Keeps live connections honest after the handshake: credentials that expire while connected,
 * `revoke(user, room?)` from the app (on every node, and remembered in Redis for
 * `revokeTtlMs` so a reconnect does not undo it), and refreshed tokens whose scope shrank.
 */
export class Sessions<User> {
  readonly #timers = new WeakMap<JobcastSocket<User>, NodeJS.Timeout>();

  constructor(
    private readonly deps: {
      io: JobcastIo<User>;
      redis: Redis;
      keys: Keys;
      access: RoomAccess<User>;
      policy: UserPolicy<User>;
      revokeTtlMs: number;
      logger: Logger;
    },
  ) {
    // Checked anyway: the sending node may run another version.
    deps.io.on(INTER_SERVER_EVENTS.revoke, (userKey: unknown, room: unknown) => {
      if (typeof userKey === 'string') this.#revokeLocal(userKey, typeof room === 'string' ? room : undefined);
    });
  }

  /** Starts watching a new connection's expiry. */
  track(socket: JobcastSocket<User>): void {
    this.#scheduleExpiry(socket);
    socket.once('disconnect', () => clearTimeout(this.#timers.get(socket)));
  }

  /** Throws TOKEN_EXPIRED when the socket's credentials ran out, REVOKED when the app revoked this room for its user. */
  assertMaySubscribe(socket: JobcastSocket<User>, room: string): Promise<void> {
    return this.assertMayRead(socket.data.user, room);
  }

  /** The same checks for any request of `user` (an HTTP snapshot too): expiry, then revocation. */
  async assertMayRead(user: User, room: string): Promise<void> {
    const expiresAt = this.deps.policy.expiresAt(user);
    if (expiresAt !== undefined && expiresAt < Date.now()) throw new JobcastError('TOKEN_EXPIRED', 'The access token expired; refresh it.');
    const key = this.deps.policy.userKey(user);
    if (key === undefined) return;
    const [all, one] = await this.deps.redis.mget(this.deps.keys.revoked(key, '*'), this.deps.keys.revoked(key, room));
    if (all || one) throw new JobcastError('REVOKED', `Access to "${room}" was revoked.`);
  }

  /** Swaps a connection's credentials for fresher ones of the same user; rooms they no longer open are revoked. */
  async refresh(socket: JobcastSocket<User>, user: User): Promise<number | undefined> {
    const { data } = socket;
    const before = this.deps.policy.userKey(data.user);
    if (before !== this.deps.policy.userKey(user)) throw new JobcastError('FORBIDDEN', 'A refreshed token must belong to the same user.');
    data.user = user;
    this.#scheduleExpiry(socket);
    for (const room of [...data.rooms]) {
      try {
        await this.deps.access.authorize(user, room);
      } catch (error) {
        const code = error instanceof JobcastError ? error.code : 'FORBIDDEN';
        this.#revokeSocket(socket, room, code === 'INTERNAL' ? 'FORBIDDEN' : code, 'The refreshed token no longer opens this room.');
      }
    }
    return this.deps.policy.expiresAt(user);
  }

  /**
   * Removes a user's sockets from a room (or from every room), on every node, and refuses
   * their subscribes to it for `revokeTtlMs`. Change your channel rules too, or they return after that.
   */
  async revoke(userKey: string, room?: string): Promise<void> {
    await this.deps.redis.set(this.deps.keys.revoked(userKey, room ?? '*'), '1', 'PX', this.deps.revokeTtlMs);
    this.#revokeLocal(userKey, room);
    const servers = await this.deps.io.of('/').adapter.serverCount().catch(() => 1);
    if (servers > 1) this.deps.io.serverSideEmit(INTER_SERVER_EVENTS.revoke, userKey, room ?? null);
  }

  #revokeLocal(userKey: string, room: string | undefined) {
    for (const socket of this.deps.io.of('/').sockets.values()) {
      const { data } = socket;
      if (!data.rooms || this.deps.policy.userKey(data.user) !== userKey) continue;
      for (const held of room === undefined ? [...data.rooms] : [room]) {
        if (data.rooms.has(held)) this.#revokeSocket(socket, held, 'REVOKED', `Access to "${held}" was revoked.`);
      }
    }
  }

  #revokeSocket(socket: JobcastSocket<User>, room: string, code: ErrorCode, message: string) {
    const { data } = socket;
    data.rooms.delete(room);
    void socket.leave(socketRoom(room));
    socket.emit(EVENTS.revoked, { room, code, message });
    this.deps.logger.info({ socketId: socket.id, room, code }, 'subscription revoked');
  }

  #scheduleExpiry(socket: JobcastSocket<User>) {
    clearTimeout(this.#timers.get(socket));
    const expiresAt = this.deps.policy.expiresAt(socket.data.user);
    if (expiresAt === undefined) return;
    // setTimeout cannot wait longer than ~24.8 days; a later expiry is re-checked then.
    const delay = Math.min(Math.max(0, expiresAt - Date.now()), 2_000_000_000);
    const timer = setTimeout(() => {
      const current = this.deps.policy.expiresAt(socket.data.user);
      if (current !== undefined && current > Date.now()) return this.#scheduleExpiry(socket);
      for (const room of [...socket.data.rooms]) {
        this.#revokeSocket(socket, room, 'TOKEN_EXPIRED', 'The access token expired; refresh it to keep receiving this room.');
      }
    }, delay);
    timer.unref();
    this.#timers.set(socket, timer);
  }
}
