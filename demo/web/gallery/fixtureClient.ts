/**
 * A jobcast client that never connects: it answers the debug panel from fixed data. The
 * gallery page uses it to show every failure mode the panel names, the same way each time,
 * for screenshots and layout tests.
 */
import type { ClientDiagnostics, JobcastClient, JobcastRoom, LogEntry, RoomDiagnostics, SubscriptionHandle } from '../../../client/index.js';
import type { StatusEvent } from '../../../shared/index.js';

/** A store whose value never changes. */
const fixed = <T>(value: T) => ({ getSnapshot: () => value, subscribe: () => () => undefined });

/** The client over `diagnostics`; `events` are replayed to the panel's job recorder when it attaches to a room. */
export function createFixtureClient(diagnostics: ClientDiagnostics, events: readonly StatusEvent[]): JobcastClient {
  const rooms = new Map<string, RoomDiagnostics>(diagnostics.rooms.map((room) => [room.room, room]));
  const room = (name: string): JobcastRoom => {
    const held = rooms.get(name);
    const snapshot = held?.snapshot ?? { room: name, state: 'closed' as const, seq: 0, jobs: {}, gaps: { detected: 0, replayed: 0, resynced: 0, ranges: [] } };
    // `onState` too, wherever the core's types put it: the panel may listen to subscription states.
    return {
      room: name,
      getSnapshot: () => snapshot,
      subscribe: () => () => undefined,
      onEvent: (listener) => {
        // As if the events were applied now, in order: the recorder builds its timelines from them.
        for (const event of events) if (event.room === name) listener(event);
        return () => undefined;
      },
      onState: () => () => undefined,
    } as JobcastRoom;
  };
  return {
    connection: fixed(diagnostics.connection),
    log: fixed<readonly LogEntry[]>(diagnostics.log),
    subscribe: (name) => {
      const store = room(name);
      return { room: name, getSnapshot: store.getSnapshot, subscribe: store.subscribe, onState: () => () => undefined, unsubscribe: () => undefined } as SubscriptionHandle;
    },
    room,
    inspect: () => diagnostics,
    connect: () => undefined,
    disconnect: () => undefined,
    close: () => undefined,
  };
}
