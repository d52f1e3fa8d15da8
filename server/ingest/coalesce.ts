import { subjectOf, type StreamEvent } from './streamEvent.js';

/**
 * Progress storms: a progress event followed in the same batch by another progress event of
 * the same job (with nothing else of that job between) is dropped; the latest wins. Every
 * other event, terminal ones above all, is kept. Only the lease holder ingests, so every
 * subscriber sees the same coalesced sequence.
 */
export function coalesceProgress(events: StreamEvent[]): StreamEvent[] {
  const nextOfJob = new Map<string, StreamEvent>();
  const kept: StreamEvent[] = [];
  for (let index = events.length - 1; index >= 0; index--) {
    const event = events[index]!;
    const jobId = subjectOf(event);
    const next = jobId === undefined ? undefined : nextOfJob.get(jobId);
    if (jobId !== undefined) nextOfJob.set(jobId, event);
    if (event.name === 'progress' && next?.name === 'progress') continue;
    kept.push(event);
  }
  return kept.reverse();
}
