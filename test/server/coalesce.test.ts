import { describe, expect, it } from 'vitest';
import { coalesceProgress } from '../../server/ingest/coalesce.js';
import type { StreamEvent } from '../../server/ingest/buildStatus.js';

const event = (id: number, name: string, jobId: string, extra: Record<string, string> = {}): StreamEvent => ({
  id: `1-${id}`,
  name,
  fields: { event: name, jobId, ...extra },
});

describe('coalesceProgress', () => {
  it('keeps only the latest of consecutive progress events of one job', () => {
    const batch = [event(1, 'active', 'a'), event(2, 'progress', 'a'), event(3, 'progress', 'a'), event(4, 'progress', 'a')];
    expect(coalesceProgress(batch).map((e) => e.id)).toEqual(['1-1', '1-4']);
  });

  it('never drops a terminal event, and keeps progress that a non-progress event of the job follows', () => {
    const batch = [event(1, 'progress', 'a'), event(2, 'completed', 'a'), event(3, 'progress', 'b'), event(4, 'failed', 'b')];
    expect(coalesceProgress(batch).map((e) => e.id)).toEqual(['1-1', '1-2', '1-3', '1-4']);
  });

  it('coalesces per job, so interleaved jobs each keep their latest progress', () => {
    const batch = [event(1, 'progress', 'a'), event(2, 'progress', 'b'), event(3, 'progress', 'a'), event(4, 'progress', 'b')];
    expect(coalesceProgress(batch).map((e) => e.id)).toEqual(['1-3', '1-4']);
  });

  it('treats the dropped job of a deduplicated event as its subject', () => {
    const batch = [event(1, 'progress', 'x'), event(2, 'deduplicated', 'x', { deduplicatedJobId: 'y' }), event(3, 'progress', 'x')];
    expect(coalesceProgress(batch).map((e) => e.id)).toEqual(['1-2', '1-3']);
  });
});
