import type { Namespace } from 'socket.io';
import { EVENTS, type StatusEvent } from '../shared/index.js';
import type { DebugStats } from './debug/debugStats.js';
import type { JobcastIo } from './jobcastIo.js';
import type { JobcastMetrics } from './metrics.js';
import { DEBUG_SOCKETS_ROOM, type WorkerIdentityFilter } from './security/workerIdentity.js';
import { roomOfSocketRoom, socketRoom } from './socketHandlers.js';

/**
 * The Socket.IO room of the sockets in `target` (a jobcast room's Socket.IO room) whose user
 * may debug: they get statuses with the worker's identity. Not under the `jobcast:` prefix,
 * so it is never taken for a jobcast room.
 */
export const debugSocketsIn = (target: string) => `${DEBUG_SOCKETS_ROOM}:${target}`;

export interface StatusFanoutDeps {
  io: JobcastIo;
  /** Takes the worker's identity out for sockets that may not debug; absent: everyone gets it (`exposeWorkerIdentity`). */
  filter: WorkerIdentityFilter | undefined;
  stats: DebugStats;
  metrics: Pick<JobcastMetrics, 'broadcast' | 'delivered'>;
  /**
   * True when every socket is on this node: jobcast made the Socket.IO server and gave it no
   * adapter, so it has socket.io's in-memory one and a room with no member here has none at all.
   */
  socketsAllLocal: boolean;
}

/**
 * How a status ingested on this node reaches every subscriber: Socket.IO room broadcasts,
 * which the adapter hands to this node's sockets and to the other nodes that have members in
 * the room (with the sharded adapter, only those nodes hear it). Returns the broadcast
 * function; counts broadcasts here and deliveries on whichever node makes them.
 */
export function createStatusFanout({ io, filter, stats, metrics, socketsAllLocal }: StatusFanoutDeps): (event: StatusEvent) => void {
  if (filter) followDebugSockets(io.of('/').adapter);
  countDeliveries(io, stats, metrics);
  return (event) => {
    stats.recordBroadcast(event.room, event.seq);
    metrics.broadcast();
    const target = socketRoom(event.room);
    if (!filter) {
      io.to(target).emit(EVENTS.status, event);
      return;
    }
    const debugSockets = debugSocketsIn(target);
    // No debug socket in the room, anywhere: one broadcast (each one encodes the status again).
    if (socketsAllLocal && !io.of('/').adapter.rooms.has(debugSockets)) {
      io.to(target).emit(EVENTS.status, filter.event(event));
      return;
    }
    // Two broadcasts for every status, even one with no identity to take out: each socket then
    // gets all of a room's statuses on one channel, in the order they were published.
    io.to(target).except(debugSockets).emit(EVENTS.status, filter.event(event));
    io.to(debugSockets).emit(EVENTS.status, event);
  };
}

/**
 * Keeps, on this node, the room of each jobcast room's debug sockets (members of both it and
 * `DEBUG_SOCKETS_ROOM`) in step with every join and leave, including a socket that becomes or
 * stops being a debug user on a token refresh. Rooms are per node, so a broadcast's
 * `except` is resolved by each node against its own sockets.
 */
function followDebugSockets(adapter: Namespace['adapter']): void {
  const isDebugSocket = (id: string) => adapter.rooms.get(DEBUG_SOCKETS_ROOM)?.has(id) === true;
  const statusRoomsOf = (id: string) => [...(adapter.sids.get(id) ?? [])].filter((room) => roomOfSocketRoom(room) !== undefined);
  adapter.on('join-room', (room: string, id: string) => {
    if (room === DEBUG_SOCKETS_ROOM) {
      for (const target of statusRoomsOf(id)) void adapter.addAll(id, new Set([debugSocketsIn(target)]));
    } else if (roomOfSocketRoom(room) !== undefined && isDebugSocket(id)) {
      void adapter.addAll(id, new Set([debugSocketsIn(room)]));
    }
  });
  adapter.on('leave-room', (room: string, id: string) => {
    if (room === DEBUG_SOCKETS_ROOM) {
      for (const target of statusRoomsOf(id)) void adapter.del(id, debugSocketsIn(target));
    } else if (roomOfSocketRoom(room) !== undefined) {
      void adapter.del(id, debugSocketsIn(room));
    }
  });
}

/**
 * Counts, per room, the statuses this node's sockets are sent, as they are sent: a node that
 * only relays the adapter's broadcasts gets no call of its own per status. The metric is
 * added once per tick, not once per socket.
 */
function countDeliveries(io: JobcastIo, stats: DebugStats, metrics: Pick<JobcastMetrics, 'delivered'>): void {
  let pending = 0;
  const flush = () => {
    metrics.delivered(pending);
    pending = 0;
  };
  // One listener for every socket: it needs nothing of the socket it is called for.
  const onOutgoing = (event: string, payload: StatusEvent) => {
    if (event !== EVENTS.status) return;
    stats.recordDelivery(payload.room, payload.epoch, payload.seq);
    if (pending++ === 0) queueMicrotask(flush);
  };
  io.on('connection', (socket) => socket.onAnyOutgoing(onOutgoing));
}
