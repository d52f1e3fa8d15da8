import type { JobState } from './schemas.js';

/* Which states are final, without zod: the browser client imports this file directly. */

/** States after which a job will not change again. */
export const TERMINAL_STATES: ReadonlySet<JobState> = new Set<JobState>([
  'completed',
  'removed',
  'deduplicated',
  'unknown',
]);

/** True when a status will not change any more (a failed attempt that will retry is not terminal). */
export const isTerminalStatus = (status: { state: JobState; willRetry?: boolean | undefined }): boolean =>
  TERMINAL_STATES.has(status.state) || (status.state === 'failed' && status.willRetry !== true);
