import type { Socket } from 'socket.io-client';
import { EVENTS } from '../shared/protocol.js';
import type { ClientToServerEvents, Hello, Revoked, ServerToClientEvents } from '../shared/index.js';
import type { EventLog } from './eventLog.js';
import type { RoomStore } from './roomStore.js';
import { HelloSchema, ResyncNoticeSchema, RevokedSchema, StatusEventSchema, WireErrorSchema } from './wireSchemas.js';

/** Where validated pushes go. */
export interface PushTargets {
  readonly log: EventLog;
  /** The rooms currently held, by name. */
  readonly rooms: ReadonlyMap<string, RoomStore>;
  hello(hello: Hello): void;
  revoked(revoked: Revoked): void;
}

/**
 * Listens to everything the server pushes. Each payload is parsed with its wire schema; a bad
 * one (a server of another version, a proxy that mangles frames) is dropped and logged as
 * `invalid-message`, never thrown.
 */
export function listenForPushes(socket: Socket<ServerToClientEvents, ClientToServerEvents>, targets: PushTargets): void {
  const { log, rooms } = targets;
  const invalid = (event: string, issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>) => {
    const detail = issues
      .slice(0, 3)
      .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    log.add({ kind: 'invalid-message', detail: `${event}: ${detail}` });
  };
  socket.on(EVENTS.hello, (raw: unknown) => {
    const parsed = HelloSchema.safeParse(raw);
    if (!parsed.success) return invalid(EVENTS.hello, parsed.error.issues);
    const { nodeId, protocol, window } = parsed.data;
    targets.hello(parsed.data);
    log.add({ kind: 'hello', detail: `node ${nodeId}, protocol ${protocol}, history ${window.historySize} events / ${window.historyTtlMs} ms` });
  });
  socket.on(EVENTS.status, (raw: unknown) => {
    const parsed = StatusEventSchema.safeParse(raw);
    if (!parsed.success) return invalid(EVENTS.status, parsed.error.issues);
    const event = parsed.data;
    const store = rooms.get(event.room);
    if (store) return store.handleStatus(event);
    const { jobId, queue } = event.status;
    log.add({ kind: 'status', room: event.room, seq: event.seq, queue, jobId, detail: 'ignored: no subscription' });
  });
  socket.on(EVENTS.revoked, (raw: unknown) => {
    const parsed = RevokedSchema.safeParse(raw);
    if (!parsed.success) return invalid(EVENTS.revoked, parsed.error.issues);
    rooms.get(parsed.data.room)?.handleRevoked(parsed.data);
    targets.revoked(parsed.data);
  });
  socket.on(EVENTS.notice, (raw: unknown) => {
    const parsed = WireErrorSchema.safeParse(raw);
    if (!parsed.success) return invalid(EVENTS.notice, parsed.error.issues);
    log.add({ kind: 'notice', code: parsed.data.code, message: parsed.data.message });
  });
  socket.on(EVENTS.resync, (raw: unknown) => {
    const parsed = ResyncNoticeSchema.safeParse(raw);
    if (!parsed.success) return invalid(EVENTS.resync, parsed.error.issues);
    rooms.get(parsed.data.room)?.handleResyncNotice(parsed.data.reason);
  });
}
