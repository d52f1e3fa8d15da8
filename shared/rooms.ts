/**
 * Room grammar: `type:id` (more segments are allowed, e.g. `org:7:document:42`).
 * Each segment is 1–128 characters from a small safe alphabet, so a room name can
 * never collide with a Socket.IO socket id and never carries wildcards or markup.
 */
export const ROOM_SEGMENT = /^[A-Za-z0-9_.@~-]{1,128}$/;
export const ROOM_MAX_LENGTH = 256;

/** True when `name` follows the room grammar. Says nothing about authorization. */
export function isValidRoomName(name: unknown): name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > ROOM_MAX_LENGTH) return false;
  const segments = name.split(':');
  return segments.length >= 2 && segments.every((segment) => ROOM_SEGMENT.test(segment));
}

/** Builds a room name from parts, throwing on parts that break the grammar. */
export function roomName(...parts: Array<string | number>): string {
  const name = parts.map(String).join(':');
  if (!isValidRoomName(name)) throw new TypeError(`Invalid room name: ${JSON.stringify(name)}`);
  return name;
}
