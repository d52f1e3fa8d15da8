/**
 * jobcast client: framework-agnostic core (no React, no Node-only imports). React bindings
 * live in `jobcast/client/react`.
 */
export { createJobcastClient } from './createJobcastClient.js';
export { clientDefaults } from './options.js';
export type { JobcastClientOptions, TokenResult } from './options.js';
export { JobcastClientError, isJobcastClientError } from './errors.js';
export { findJob } from './findJob.js';
export { ROOM_STATUS_OF, SUBSCRIPTION_TIMELINE_SIZE, SUBSCRIPTION_TRANSITIONS } from './subscriptionState.js';
export type { SubscriptionStateName, SubscriptionTransition } from './subscriptionState.js';
export { TIMELINE_SIZE } from './connection.js';
export type { ConnectionSnapshot, ConnectionState, ConnectionTransition } from './connection.js';
export type { LogEntry, LogKind } from './eventLog.js';
export { GAP_RANGES_KEPT } from './gapStats.js';
export type { GapOutcome, GapRange, GapStats } from './gapStats.js';
export type {
  CarriedOver,
  ClientDiagnostics,
  JobSelector,
  JobcastClient,
  JobcastRoom,
  RoomCounters,
  RoomDiagnostics,
  RoomJob,
  RoomSnapshot,
  RoomStatus,
  SubscriptionHandle,
} from './types.js';
export type { JobcastStore } from './subscribable.js';
