export * from './errors.js';
export * from './events.js';
export * from './protocol.js';
export * from './rooms.js';
export * from './schemas.js';
export * from './debug.js';
export * from './worker.js';
export * from './identity.js';
