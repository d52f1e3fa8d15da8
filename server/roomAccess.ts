import type { Rejection } from '../shared/index.js';
import { type ChannelMatch, type Channels, compileChannels, resolveChannel } from './channels.js';
import { JobcastError } from './errors.js';
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

  constructor(channels: Channels<User>, logger: Logger) {
    this.#channels = compileChannels(channels);
    this.#logger = logger;
  }

  /** Resolves and authorizes; throws INVALID_ROOM, FORBIDDEN or INTERNAL. */
  async authorize(user: User, room: string): Promise<ChannelMatch<User>> {
    let match: ChannelMatch<User> | undefined;
    try {
      match = resolveChannel(this.#channels, room);
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
