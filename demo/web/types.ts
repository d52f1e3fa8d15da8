/** What the app API answers (types only: nothing here reaches the browser bundle). */
export type { WorkerInfo, WorkersState } from '../ipc.js';
export type { StoredSummary } from '../store.js';
import type { StepName } from '../steps.js';
import type { StoredSummary } from '../store.js';

export interface DocumentItem {
  id: string;
  title: string;
  owner: string;
}

export interface DocumentDetail extends DocumentItem {
  text: string;
  createdAt: number;
  summary: StoredSummary | null;
}

export type Faults = Partial<Record<StepName, 'once' | 'always'>>;

/** What `POST /api/documents/:id/summarize` answers. */
export interface EnqueuedJob {
  queue: string;
  jobId: string;
  correlationId: string;
  deduplicatedBy?: string;
}

/** The public data the server's projection adds to a finished summary job. */
export interface SummaryData {
  summary: string;
  cached: boolean;
  sentences: number;
  picked: number;
}
