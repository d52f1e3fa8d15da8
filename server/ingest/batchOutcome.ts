import type { StreamEvent } from './streamEvent.js';

/**
 * What one ingested batch hands back to the read loop and the metrics: the stream's entries read
 * after it, where its time went, or that another node took the queue's lease meanwhile.
 */

/** The stream's entries after an ingested batch, read with its records. */
export interface ReadAhead {
  events: StreamEvent[];
  /** Entries between the batch and `events` may have been trimmed away unread. */
  trimmedBefore: boolean;
}

/**
 * Where one batch's time went, in ms: waiting for its records (`read`), building its statuses
 * (`build`), waiting for its writes (`write`), handing its statuses to Socket.IO (`broadcast`).
 */
export interface IngestPhases {
  read: number;
  build: number;
  write: number;
  broadcast: number;
}

/** Thrown when a write found that another node holds the queue's lease now. */
export class LeaseLostError extends Error {
  constructor(queue: string) {
    super(`Another node ingests queue "${queue}" now`);
    this.name = 'LeaseLostError';
  }
}
