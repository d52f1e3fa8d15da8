/**
 * The rooms of the workload and who may see them. Shared by the server node (authorization)
 * and the suite (which rooms each client subscribes to, which rooms a job is expected in).
 */
export interface ConformanceUser {
  id: string;
}

/** The clients of a run: each subscribes to every room it is authorized for. */
export const CLIENT_NAMES = ['steady', 'flaky', 'late'] as const;
export type ClientName = (typeof CLIENT_NAMES)[number];

export const ROOM_COUNT = 12;
export const ROOMS: readonly string[] = Array.from({ length: ROOM_COUNT }, (_, index) => `document:${index + 1}`);

/** steady and flaky see every room; late sees the even ones only. */
export function canSee(user: string, room: string): boolean {
  if (user === 'steady' || user === 'flaky') return true;
  if (user === 'late') return Number(room.split(':')[1]) % 2 === 0;
  return false;
}

export const roomsOf = (user: ClientName): string[] => ROOMS.filter((room) => canSee(user, room));
