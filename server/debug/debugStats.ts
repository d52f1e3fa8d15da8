import type { Rejection, RoomBroadcastStats } from '../../shared/index.js';

/** What one node knows for the debug views; nodes' snapshots are summed by the debug router. */
export interface NodeDebugSnapshot {
  nodeId: string;
  /** Emit counters per room, this node's sockets only. */
  rooms: Array<Omit<RoomBroadcastStats, 'subscribers'>>;
  /** Sockets on this node per subscribed room. */
  subscribed: Record<string, number>;
  rejections: Rejection[];
  unrouted: Array<{ at: number; queue: string; jobId: string; event: string }>;
}

type Counters = Omit<RoomBroadcastStats, 'subscribers'>;

const MAX_ROOMS = 5_000;
const MAX_UNROUTED = 100;

/**
 * Per-node counters behind "did the server broadcast anything, and did anyone hear it?".
 * Bounded: the least recently active rooms are forgotten first.
 */
export class DebugStats {
  readonly #rooms = new Map<string, Counters>();
  readonly #unrouted: NodeDebugSnapshot['unrouted'] = [];

  /** Called on every emit with the number of this node's sockets in the room. */
  recordEmit(room: string, seq: number, subscribers: number): void {
    const counters = this.#rooms.get(room) ?? { room, broadcasts: 0, delivered: 0, unheard: 0 };
    this.#rooms.delete(room);
    counters.broadcasts += 1;
    counters.delivered += subscribers;
    if (subscribers === 0) counters.unheard += 1;
    counters.lastBroadcastAt = Date.now();
    counters.lastSeq = seq;
    this.#rooms.set(room, counters);
    if (this.#rooms.size > MAX_ROOMS) this.#rooms.delete(this.#rooms.keys().next().value as string);
  }

  /** A job event that named no room: it went nowhere. */
  recordUnrouted(queue: string, jobId: string, event: string): void {
    this.#unrouted.push({ at: Date.now(), queue, jobId, event });
    if (this.#unrouted.length > MAX_UNROUTED) this.#unrouted.shift();
  }

  /** This node's view, limited to one room when given. */
  snapshot(nodeId: string, subscribed: Record<string, number>, rejections: Rejection[], room?: string): NodeDebugSnapshot {
    const rooms = room === undefined ? [...this.#rooms.values()] : [this.#rooms.get(room)].filter((c): c is Counters => c !== undefined);
    return {
      nodeId,
      rooms: rooms.map((counters) => ({ ...counters })),
      subscribed: room === undefined ? subscribed : { [room]: subscribed[room] ?? 0 },
      rejections: room === undefined ? rejections : rejections.filter((rejection) => rejection.room === room),
      unrouted: [...this.#unrouted],
    };
  }
}

/** Sums the nodes' snapshots into one view per room. */
export function mergeRoomStats(snapshots: NodeDebugSnapshot[]): RoomBroadcastStats[] {
  const merged = new Map<string, RoomBroadcastStats>();
  const entry = (room: string) => {
    let stats = merged.get(room);
    if (!stats) merged.set(room, (stats = { room, broadcasts: 0, delivered: 0, unheard: 0, subscribers: 0 }));
    return stats;
  };
  for (const snapshot of snapshots) {
    for (const counters of snapshot.rooms) {
      const stats = entry(counters.room);
      // Every node emits every event to its own sockets: count the event once, its deliveries on each node.
      stats.broadcasts = Math.max(stats.broadcasts, counters.broadcasts);
      stats.delivered += counters.delivered;
      stats.unheard = Math.max(stats.unheard, counters.unheard);
      if (counters.lastBroadcastAt !== undefined) stats.lastBroadcastAt = Math.max(stats.lastBroadcastAt ?? 0, counters.lastBroadcastAt);
      if (counters.lastSeq !== undefined) stats.lastSeq = Math.max(stats.lastSeq ?? 0, counters.lastSeq);
    }
    for (const [room, count] of Object.entries(snapshot.subscribed)) entry(room).subscribers += count;
  }
  return [...merged.values()];
}
