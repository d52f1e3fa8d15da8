/*
 * The protocol, for the server, the worker helpers and apps. The browser client imports the
 * zod-free modules (protocol, rooms, identity, lifecycle, errorCodes) directly instead, and
 * checks what the server sends with client/wireSchemas.ts (generated from the schemas here), so
 * its bundle carries no zod: keep those five modules free of zod.
 */
export * from './errors.js';
export * from './errorCodes.js';
export * from './events.js';
export * from './protocol.js';
export * from './rooms.js';
export * from './schemas.js';
export * from './lifecycle.js';
export * from './debug.js';
export * from './worker.js';
export * from './identity.js';
export * from './heartbeat.js';
