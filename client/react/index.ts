/**
 * jobcast React bindings: a provider, hooks over the client core's stores
 * (`useSyncExternalStore`), and the development debug panel. Safe to import on a server:
 * nothing here touches `window` or `document` until a component mounts.
 */
export { JobcastProvider, useJobcast } from './JobcastProvider.js';
export type { JobcastProviderProps } from './JobcastProvider.js';
export { useJobStatus, latestJob } from './useJobStatus.js';
export type { JobStatusResult } from './useJobStatus.js';
export { useRoom } from './useRoom.js';
export { useConnection } from './useConnection.js';
export { useEventLog } from './useEventLog.js';
export type { EventLogFilter } from './useEventLog.js';
export { JobcastDebugPanel, DEFAULT_SHORTCUT } from './debug/JobcastDebugPanel.js';
export type { JobcastDebugPanelProps } from './debug/JobcastDebugPanel.js';
export { diagnose, HOP_LABELS } from './debug/diagnose.js';
export type { DiagnoseInput, Diagnosis, Hop, HopId, ServerReportResult } from './debug/diagnose.js';
export { fetchRoomReport } from './debug/fetchRoomReport.js';
export type { FetchRoomReportOptions, GetDebugToken } from './debug/fetchRoomReport.js';
export { DIAGNOSTICS_MAX_BYTES, buildDiagnosticsBundle } from './debug/diagnosticsBundle.js';
export type { DiagnosticsBundleInput } from './debug/diagnosticsBundle.js';
