import type { Rejection, RoomBroadcastStats } from '../../shared/index.js';

/**
 * One node's counters for one room. `broadcasts` counts the statuses this node ingested and
 * sent (one node ingests a queue at a time, so each status is counted once in the whole
 * deployment); `delivered` and `heard` count what reached this node's own sockets, whichever
 * node sent it.
 */
export interface NodeRoomCounters {
  room: string;
  broadcasts: number;
  /** One per socket of this node that was sent a status. */
  delivered: number;
  /** Statuses that reached at least one socket of this node. */
  heard: number;
  lastBroadcastAt?: number;
  lastSeq?: number;
}

/** What one node knows for the debug views; nodes' snapshots are summed by the debug router. */
export interface NodeDebugSnapshot {
  nodeId: string;
  rooms: NodeRoomCounters[];
  /** Sockets on this node per subscribed room. */
  subscribed: Record<string, number>;
  rejections: Rejection[];
  unrouted: Array<{ at: number; queue: string; jobId: string; event: string }>;
}

type Counters = NodeRoomCounters & { heardEpoch?: string; lastHeardSeq?: number };

const MAX_ROOMS = 5_000;
const MAX_UNROUTED = 100;

/**
 * Per-node counters behind "did the server broadcast anything, and did anyone hear it?".
 * Bounded: the least recently active rooms are forgotten first.
 */
export class DebugStats {
  readonly #rooms = new Map<string, Counters>();
  readonly #unrouted: NodeDebugSnapshot['unrouted'] = [];

  /** Called by the ingesting node for each status it sends to a room, heard or not. */
  recordBroadcast(room: string, seq: number): void {
    const counters = this.#touch(room);
    counters.broadcasts += 1;
    counters.lastBroadcastAt = Date.now();
    counters.lastSeq = seq;
  }

  /** Called once per socket of this node that is sent a status (both worker-identity variants count). */
  recordDelivery(room: string, epoch: string, seq: number): void {
    const known = this.#rooms.get(room);
    // A status reaches every socket of the room in one go, and its two variants (with and
    // without the worker's identity) come on two channels that need not arrive in step: only
    // a later position in the room, or a new epoch, is a status not counted yet.
    if (known !== undefined && known.heardEpoch === epoch && seq <= (known.lastHeardSeq ?? 0)) {
      known.delivered += 1;
      return;
    }
    const counters = this.#touch(room);
    counters.delivered += 1;
    counters.heard += 1;
    counters.heardEpoch = epoch;
    counters.lastHeardSeq = seq;
    counters.lastBroadcastAt = Date.now();
    counters.lastSeq = seq;
  }

  /** The room's counters, moved to the most recently active end (the other end is forgotten first). */
  #touch(room: string): Counters {
    const counters = this.#rooms.get(room) ?? { room, broadcasts: 0, delivered: 0, heard: 0 };
    this.#rooms.delete(room);
    this.#rooms.set(room, counters);
    if (this.#rooms.size > MAX_ROOMS) this.#rooms.delete(this.#rooms.keys().next().value as string);
    return counters;
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
      rooms: rooms.map(({ heardEpoch: _epoch, lastHeardSeq: _seq, ...counters }) => counters),
      subscribed: room === undefined ? subscribed : { [room]: subscribed[room] ?? 0 },
      rejections: room === undefined ? rejections : rejections.filter((rejection) => rejection.room === room),
      unrouted: [...this.#unrouted],
    };
  }
}

/**
 * Sums the nodes' snapshots into one view per room. Each status is counted as a broadcast by
 * the one node that ingested it, and as deliveries by each node whose sockets got it. A status
 * is unheard when no node's sockets got it; the nodes report how many statuses they heard, not
 * which, so `unheard` is the broadcasts no single node heard more of: exact while the room's
 * listeners sit on one node (or all heard the same statuses), otherwise an upper bound.
 */
export function mergeRoomStats(snapshots: NodeDebugSnapshot[]): RoomBroadcastStats[] {
  const merged = new Map<string, RoomBroadcastStats & { heard: number }>();
  const entry = (room: string) => {
    let stats = merged.get(room);
    if (!stats) merged.set(room, (stats = { room, broadcasts: 0, delivered: 0, unheard: 0, subscribers: 0, heard: 0 }));
    return stats;
  };
  for (const snapshot of snapshots) {
    for (const counters of snapshot.rooms) {
      const stats = entry(counters.room);
      stats.broadcasts += counters.broadcasts;
      stats.delivered += counters.delivered;
      stats.heard = Math.max(stats.heard, counters.heard);
      if (counters.lastBroadcastAt !== undefined) stats.lastBroadcastAt = Math.max(stats.lastBroadcastAt ?? 0, counters.lastBroadcastAt);
      if (counters.lastSeq !== undefined) stats.lastSeq = Math.max(stats.lastSeq ?? 0, counters.lastSeq);
    }
    for (const [room, count] of Object.entries(snapshot.subscribed)) entry(room).subscribers += count;
  }
  // A node that restarted or forgot the room may report fewer broadcasts than another heard.
  return [...merged.values()].map(({ heard, ...stats }) => ({ ...stats, unheard: Math.max(0, stats.broadcasts - heard) }));
}
