import type { NearMiss } from '../../shared/index.js';

/** Folds the usual ways a room name goes wrong: case, separators, leading zeros. */
export function normalizeRoom(room: string): string {
  return room
    .toLowerCase()
    .split(/[:_/.#\s-]+/)
    .map((segment) => (/^\d+$/.test(segment) ? String(Number(segment)) : segment))
    .join(':');
}

/**
 * Rooms that get events nobody hears, paired with similar rooms somebody listens to or was
 * refused: `document:42` vs `document_42`, `Document:42`, `document:042`.
 */
export function findNearMisses(unheardRooms: string[], listenedRooms: string[]): NearMiss[] {
  const byShape = new Map<string, string[]>();
  for (const room of listenedRooms) {
    const key = normalizeRoom(room);
    byShape.set(key, [...(byShape.get(key) ?? []), room]);
  }
  const misses: NearMiss[] = [];
  for (const eventsRoom of unheardRooms) {
    for (const subscribedRoom of byShape.get(normalizeRoom(eventsRoom)) ?? []) {
      if (subscribedRoom === eventsRoom) continue;
      misses.push({
        eventsRoom,
        subscribedRoom,
        reason: `Events go to "${eventsRoom}" while a client listens to (or asked for) "${subscribedRoom}".`,
      });
    }
  }
  return misses;
}
