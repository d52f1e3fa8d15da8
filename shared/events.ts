import type { WireError } from './errors.js';
import type { HeartbeatAck, HeartbeatRequest } from './heartbeat.js';
import type { EVENTS } from './protocol.js';
import type {
  Hello,
  RefreshAck,
  RefreshRequest,
  ReplayAck,
  ReplayRequest,
  ResyncNotice,
  Revoked,
  StatusEvent,
  SubscribeAck,
  SubscribeRequest,
  UnsubscribeAck,
  UnsubscribeRequest,
} from './schemas.js';

/** Events the server emits; the client's map is the same, swapped (Socket.IO convention). */
export interface ServerToClientEvents {
  /** Emitted once, right after the connection is accepted. */
  [EVENTS.hello]: (hello: Hello) => void;
  /** Emitted on every lifecycle change of a job routed to a room this socket subscribed to. */
  [EVENTS.status]: (event: StatusEvent) => void;
  /** Emitted when the server removes this socket from a room it may no longer see. */
  [EVENTS.revoked]: (revoked: Revoked) => void;
  /** Emitted when this socket may have missed events of a room it is in; the client resubscribes with its cursor. */
  [EVENTS.resync]: (notice: ResyncNotice) => void;
  /** Emitted before the server closes this connection on purpose (for example SLOW_CONSUMER), saying why. */
  [EVENTS.notice]: (notice: WireError) => void;
}

/** Events a client may emit. Payloads are `unknown` on the server until zod has parsed them. */
export interface ClientToServerEvents {
  /** Start receiving a room's events. The ack carries the snapshot, or the replay since `since`. */
  [EVENTS.subscribe]: (request: SubscribeRequest, ack: (answer: SubscribeAck) => void) => void;
  /** Stop receiving a room's events. */
  [EVENTS.unsubscribe]: (request: UnsubscribeRequest, ack: (answer: UnsubscribeAck) => void) => void;
  /** Fetch a missing range of a room's events. */
  [EVENTS.replay]: (request: ReplayRequest, ack: (answer: ReplayAck) => void) => void;
  /** Replace this connection's credentials before they expire; rooms the new ones do not cover are revoked. */
  [EVENTS.refresh]: (request: RefreshRequest, ack: (answer: RefreshAck) => void) => void;
  /** Proves the connection alive every few seconds and compares room cursors; the ack carries the server's cursors. */
  [EVENTS.heartbeat]: (request: HeartbeatRequest, ack: (answer: HeartbeatAck) => void) => void;
}
