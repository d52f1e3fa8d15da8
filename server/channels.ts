import { isValidRoomName } from '../shared/index.js';
import { JobcastError } from './errors.js';

/** The names of a pattern's `{placeholders}`: `'org:{org}:doc:{id}'` gives `'org' | 'id'`. */
type ParamNames<Pattern extends string> = Pattern extends `${string}{${infer Name}}${infer Rest}` ? Name | ParamNames<Rest> : never;

/**
 * The params of a channel pattern, read from the pattern itself: `'document:{id}'` gives
 * `{ id: string }`. A pattern only known as `string` gives `Record<string, string>`.
 */
export type ChannelParams<Pattern extends string> = string extends Pattern ? Record<string, string> : { readonly [Name in ParamNames<Pattern>]: string };

/**
 * Decides whether `user` may see the room; `params` holds the pattern's `{placeholders}`.
 * (Declared through a method so that an authorizer of one pattern is also a
 * `ChannelAuthorizer<User>`: the matcher hands each exactly the params its pattern names.)
 */
export type ChannelAuthorizer<User, Params extends Record<string, string> = Record<string, string>> = {
  authorize(user: User, params: Params, context: { room: string }): boolean | Promise<boolean>;
}['authorize'];

/**
 * Channel patterns, Laravel style: `{ 'document:{id}': (user, { id }) => canView(user, id) }`,
 * each authorizer's params typed from its pattern.
 */
export type Channels<User, Patterns extends string = string> = { [Pattern in Patterns]: ChannelAuthorizer<User, ChannelParams<Pattern>> };

interface CompiledChannel<User> {
  pattern: string;
  segments: Array<{ literal: string } | { param: string }>;
  authorize: ChannelAuthorizer<User>;
}

/** A room matched against a channel pattern. */
export interface ChannelMatch<User> {
  pattern: string;
  params: Record<string, string>;
  authorize: ChannelAuthorizer<User>;
}

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** Compiles channel patterns once at start-up; a malformed pattern throws there, not at the first subscribe. */
export function compileChannels<User>(channels: Channels<User>): CompiledChannel<User>[] {
  return Object.entries(channels).map(([pattern, authorize]) => {
    if (typeof authorize !== 'function') throw new TypeError(`channels["${pattern}"] must be a function`);
    const segments = pattern.split(':').map((part) => {
      const param = PARAM.exec(part);
      if (param?.[1]) return { param: param[1] };
      if (!isValidRoomName(`${part}:x`)) throw new TypeError(`Invalid channel pattern segment "${part}" in "${pattern}"`);
      return { literal: part };
    });
    if (segments.length < 2) throw new TypeError(`Channel pattern "${pattern}" needs at least two segments, e.g. "document:{id}"`);
    return { pattern, segments, authorize };
  });
}

/** The first pattern the room matches, with its parameters; undefined when none does. */
export function matchChannel<User>(channels: CompiledChannel<User>[], room: string): ChannelMatch<User> | undefined {
  const parts = room.split(':');
  for (const channel of channels) {
    if (channel.segments.length !== parts.length) continue;
    const params: Record<string, string> = Object.create(null);
    const matches = channel.segments.every((segment, index) => {
      const part = parts[index] as string;
      if ('literal' in segment) return segment.literal === part;
      params[segment.param] = part;
      return true;
    });
    if (matches) return { pattern: channel.pattern, params, authorize: channel.authorize };
  }
  return undefined;
}

/**
 * Near-miss suggestions for a room that matches nothing: `document_42`, `Document:42`,
 * `documents:42` or `document/42` all suggest `document:42` when that pattern exists.
 */
export function suggestRoom<User>(channels: CompiledChannel<User>[], room: string): string | undefined {
  const candidates = new Set<string>();
  const lower = room.toLowerCase();
  for (const separator of ['_', '/', '.', '-', ' ', '::', '#']) {
    candidates.add(lower.split(separator).join(':'));
    candidates.add(room.split(separator).join(':'));
  }
  candidates.add(lower);
  for (const candidate of candidates) {
    if (candidate !== room && isValidRoomName(candidate) && matchChannel(channels, candidate)) return candidate;
  }
  // A misspelt type: compare the first segment with each pattern's literal type.
  const [type, ...rest] = room.split(/[:_/.#-]/);
  if (!type || rest.length === 0) return undefined;
  let best: { room: string; distance: number } | undefined;
  for (const channel of channels) {
    const first = channel.segments[0];
    if (!first || !('literal' in first) || channel.segments.length !== rest.length + 1) continue;
    const distance = editDistance(type.toLowerCase(), first.literal.toLowerCase());
    const guess = [first.literal, ...rest].join(':');
    if (distance <= 2 && (!best || distance < best.distance) && matchChannel(channels, guess)) best = { room: guess, distance };
  }
  return best?.room;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** Resolves a client-supplied room to its channel, or throws INVALID_ROOM with a hint where a similar room exists. */
export function resolveChannel<User>(channels: CompiledChannel<User>[], room: string): ChannelMatch<User> {
  if (!isValidRoomName(room)) {
    const suggestion = suggestRoom(channels, room);
    throw new JobcastError('INVALID_ROOM', 'Room names look like "type:id" (letters, digits and _ . @ ~ -).', hintFor(suggestion));
  }
  const match = matchChannel(channels, room);
  if (match) return match;
  const suggestion = suggestRoom(channels, room);
  const known = channels.map((channel) => channel.pattern).join(', ');
  throw new JobcastError('INVALID_ROOM', `No channel pattern matches "${room}". Known patterns: ${known}.`, hintFor(suggestion));
}

const hintFor = (suggestion: string | undefined) =>
  suggestion === undefined ? {} : { hint: `Did you mean "${suggestion}"?` };
