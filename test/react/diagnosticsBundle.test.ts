import { describe, expect, it } from 'vitest';
import type { ClientDiagnostics, LogEntry } from '../../client/index.js';
import { DIAGNOSTICS_MAX_BYTES, buildDiagnosticsBundle, serializeDiagnosticsBundle } from '../../client/react/debug/diagnosticsBundle.js';
import type { JobTimeline } from '../../client/react/debug/jobTimelines.js';
import { redactText } from '../../client/react/debug/redact.js';
import type { JobStatus } from '../../shared/index.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSIsInJvb21zIjpbImRvY3VtZW50OioiXX0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

const status = (jobId: string, updatedAt: number): JobStatus => ({
  jobId,
  queue: 'summaries',
  incarnation: 'i1',
  state: 'active',
  attempt: 1,
  maxAttempts: 3,
  progress: { percent: 40, data: { detail: `Scoring chunk 2 of 5 for ${jobId}` } },
  step: { name: 'summarize', status: 'started', index: 2, total: 4, startedAt: updatedAt, attempt: 1 },
  steps: Array.from({ length: 4 }, (_, index) => ({ name: `step-${index}`, status: 'completed' as const, index, total: 4, startedAt: updatedAt, durationMs: 800, attempt: 1 })),
  correlationId: `corr-${jobId}-0123456789abcdef`,
  updatedAt,
});

/** Two minutes of a busy page: thousands of log entries, a hundred jobs with long timelines. */
function busyInput() {
  const log: LogEntry[] = Array.from({ length: 5_000 }, (_, id) => ({
    id,
    at: 1_700_000_000_000 + id,
    kind: 'status',
    room: `document:${id % 7}`,
    jobId: `job-${id % 100}-2f8a9c3e-7d41-4b7a-9e55-0c1d2e3f4a5b`,
    seq: id,
    latencyMs: 12,
    detail: id === 17 ? `progress → active, token ${JWT}` : 'progress → active',
  }));
  const jobs = Object.fromEntries(Array.from({ length: 200 }, (_, index) => [`summaries/job-${index}`, status(`job-${index}`, index)]));
  const client: ClientDiagnostics = {
    connection: { state: 'connected', attempt: 0, timeline: Array.from({ length: 300 }, (_, index) => ({ at: index, state: 'connected' as const, reason: 'io server disconnect' })) },
    rooms: Array.from({ length: 7 }, (_, index) => ({
      room: `document:${index}`,
      refCount: 1,
      snapshot: { room: `document:${index}`, state: 'active', seq: 5_000, epoch: 'e1', jobs, gaps: { detected: 0, replayed: 0, resynced: 0, ranges: [] } },
      counters: { received: 5_000, applied: 5_000, duplicates: 0 },
      timeline: [],
    })),
    log,
  } as unknown as ClientDiagnostics;
  const timelines: JobTimeline[] = Array.from({ length: 100 }, (_, index) => ({
    key: `summaries/job-${index}`,
    jobId: `job-${index}`,
    queue: 'summaries',
    rooms: ['document:1'],
    latest: status(`job-${index}`, index),
    seenAt: index,
    entries: Array.from({ length: 100 }, (_, at) => ({ at, source: 'event' as const, room: 'document:1', event: 'progress' as const, seq: at, state: 'active' as const, attempt: 1, progress: { percent: at } })),
  }));
  return { client, timelines, now: 1_700_000_100_000, pageUrl: `https://app.example.com/documents/1?token=${JWT}#access_token=abc`, userAgent: 'test' };
}

describe('buildDiagnosticsBundle', () => {
  it('stays under DIAGNOSTICS_MAX_BYTES (64 KiB) after minutes of a busy page, and says what it left out', () => {
    const text = serializeDiagnosticsBundle(buildDiagnosticsBundle(busyInput()));
    expect(DIAGNOSTICS_MAX_BYTES).toBe(65_536);
    expect(new TextEncoder().encode(text).length).toBeLessThanOrEqual(DIAGNOSTICS_MAX_BYTES);
    const bundle = JSON.parse(text);
    expect(bundle.truncated.kept.log).toMatch(/ of 5000$/);
    // The newest entries are the ones kept.
    expect(bundle.log.at(-1).id).toBe(4_999);
    expect(bundle.jobs.length).toBeGreaterThan(0);
    expect(bundle.rooms).toHaveLength(7);
  });

  it('honours a smaller bound', () => {
    const text = serializeDiagnosticsBundle(buildDiagnosticsBundle({ ...busyInput(), maxBytes: 8_192 }));
    expect(new TextEncoder().encode(text).length).toBeLessThanOrEqual(8_192);
    expect(JSON.parse(text).kind).toBe('jobcast-diagnostics');
  });

  it('holds no token: not in the page URL, the log, or any field named like a credential', () => {
    const input = busyInput();
    const withSecrets = {
      ...input,
      client: { ...input.client, connection: { ...input.client.connection, token: 'plain-secret-value', authorization: `Bearer ${JWT}` } as never },
      lastCheck: { room: 'document:1', hops: [{ id: 'broadcast' as const, label: 'x', ok: false, detail: `GET /jobcast/debug?access_token=s3cr3t-value&room=1 answered` }] },
    };
    const text = serializeDiagnosticsBundle(buildDiagnosticsBundle({ ...withSecrets, maxBytes: 1_000_000 }));
    expect(text).not.toContain(JWT);
    expect(text).not.toContain('eyJhbGciOiJIUzI1NiJ9');
    expect(text).not.toContain('plain-secret-value');
    expect(text).not.toContain('s3cr3t-value');
    expect(text).not.toContain('access_token=abc');
    expect(JSON.parse(text).page.url).toBe('https://app.example.com/documents/1');
  });
});

describe('redactText', () => {
  it('removes JWTs, bearer credentials and secret URL parameters, and keeps the rest', () => {
    expect(redactText(`Authorization: Bearer abc.def-ghi and ${JWT}`)).toBe('Authorization: Bearer [redacted] and [redacted jwt]');
    expect(redactText('/x?room=document:1&token=abc123&sig=zz')).toBe('/x?room=document:1&token=[redacted]&sig=[redacted]');
    expect(redactText('progress → active')).toBe('progress → active');
  });
});
