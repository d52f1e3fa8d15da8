/**
 * Wire protocol version. The client sends it in the handshake; the server refuses
 * versions it does not speak with UNSUPPORTED_PROTOCOL instead of misreading them.
 */
export const PROTOCOL_VERSION = 1;

/** Socket.IO event names, in one place so both ends spell them the same. */
export const EVENTS = {
  hello: 'server:hello',
  status: 'job:status',
  revoked: 'room:revoked',
  resync: 'room:resync',
  notice: 'server:notice',
  subscribe: 'room:subscribe',
  unsubscribe: 'room:unsubscribe',
  replay: 'room:replay',
  refresh: 'auth:refresh',
  heartbeat: 'conn:heartbeat',
} as const;

/** Largest message a client may send, in bytes; the server sets Socket.IO's `maxHttpBufferSize` from it. */
export const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;

/**
 * Longest room name a client sends in a subscribe (`SubscribeRequestSchema`'s limit). Names up
 * to it go to the server even when they break the grammar, so its near-miss hint
 * ("Did you mean \"document:42\"?") reaches the page; longer ones are refused locally.
 */
export const MAX_ROOM_REQUEST_LENGTH = 1_024;

/** Most rooms one heartbeat may carry; a client with more sends several heartbeats. */
export const HEARTBEAT_MAX_ROOMS = 100;
