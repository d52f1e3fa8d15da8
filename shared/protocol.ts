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
} as const;

/** Largest message a client may send, in bytes; the server sets Socket.IO's `maxHttpBufferSize` from it. */
export const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;
