/**
 * jobcast client: framework-agnostic core (no React, no Node-only imports). React bindings
 * live in `jobcast/client/react`.
 */
export { createJobcastClient } from './createJobcastClient.js';
export { clientDefaults } from './options.js';
export type { JobcastClientOptions, TokenResult } from './options.js';
export { JobcastClientError, isJobcastClientError } from './errors.js';
export { TIMELINE_SIZE } from './connection.js';
export type { ConnectionSnapshot, ConnectionState, ConnectionTransition } from './connection.js';
export type { LogEntry, LogKind } from './eventLog.js';
export { GAP_RANGES_KEPT } from './gapStats.js';
export type { GapOutcome, GapRange, GapStats } from './gapStats.js';
export type {
  ClientDiagnostics,
  JobcastClient,
  JobcastRoom,
  RoomCounters,
  RoomDiagnostics,
  RoomSnapshot,
  RoomStatus,
  SubscriptionHandle,
} from './types.js';
export type { JobcastStore } from './subscribable.js';
