import type { Rejection } from '../shared/index.js';
import { type ChannelMatch, type Channels, compileChannels, resolveChannel } from './channels.js';
import { JobcastError } from './errors.js';
import { roomInScope } from './tokens.js';
import type { Logger } from './options.js';

/**
 * Who may see which room: resolves a room against the channel patterns (INVALID_ROOM with
 * a hint when none matches) and runs the pattern's rule (FORBIDDEN when it says no). Used
 * by socket subscriptions and HTTP snapshots alike, on every request.
 */
export class RoomAccess<User> {
  readonly #channels: ReturnType<typeof compileChannels<User>>;
  readonly #logger: Logger;
  readonly #rejections: Rejection[] = [];

  readonly #scopeOf: (user: User) => readonly string[] | undefined;

  /** `scopeOf` gives the rooms a user's credentials are limited to (a scoped token), or undefined for no limit. */
  constructor(channels: Channels<User>, logger: Logger, scopeOf: (user: User) => readonly string[] | undefined = defaultScopeOf) {
    this.#channels = compileChannels(channels);
    this.#logger = logger;
    this.#scopeOf = scopeOf;
  }

  /** Resolves and authorizes; throws INVALID_ROOM, FORBIDDEN or INTERNAL. */
  async authorize(user: User, room: string): Promise<ChannelMatch<User>> {
    let match: ChannelMatch<User> | undefined;
    try {
      match = resolveChannel(this.#channels, room);
      const scope = this.#scopeOf(user);
      if (scope !== undefined && !roomInScope(room, scope)) {
        throw new JobcastError('FORBIDDEN', `Your access token does not cover "${room}".`);
      }
      let allowed: boolean;
      try {
        allowed = (await match.authorize(user, match.params, { room })) === true;
      } catch (cause) {
        this.#logger.error({ err: cause, room, pattern: match.pattern }, 'channel authorizer threw; denying');
        throw new JobcastError('INTERNAL', 'The authorization check failed on the server.', { cause });
      }
      if (!allowed) throw new JobcastError('FORBIDDEN', `You are not allowed to subscribe to "${room}".`);
      return match;
    } catch (error) {
      if (error instanceof JobcastError) this.#remember(room, error, match?.pattern);
      throw error;
    }
  }

  /** The most recent rejections, newest last. */
  recentRejections(): Rejection[] {
    return [...this.#rejections];
  }

  #remember(room: string, error: JobcastError, pattern: string | undefined) {
    const rejection: Rejection = { at: Date.now(), room: room.slice(0, 300), code: error.code, message: error.message };
    if (pattern) rejection.pattern = pattern;
    if (error.hint) rejection.hint = error.hint;
    this.#rejections.push(rejection);
    if (this.#rejections.length > 200) this.#rejections.shift();
  }
}

/** jobcast's token claims (and JWTs shaped like them) carry their scope as `rooms`. */
function defaultScopeOf(user: unknown): readonly string[] | undefined {
  const record = user as { rooms?: unknown; exp?: unknown } | null;
  return Array.isArray(record?.rooms) && typeof record?.exp === 'number' ? (record.rooms as string[]) : undefined;
}
