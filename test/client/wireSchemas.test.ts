import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as shared from '../../shared/index.js';
import type { StatusEvent, WireError } from '../../shared/index.js';
import * as wire from '../../client/wireSchemas.js';
import { WIRE_SCHEMA_NAMES, renderWireSchemas } from '../../scripts/wireSchemas.js';

const ROOM = 'document:42';
const wireError: WireError = { code: 'FORBIDDEN', message: 'no', hint: 'ask' };
const statusEvent: StatusEvent = {
  room: ROOM,
  epoch: 'e1',
  seq: 3,
  event: 'progress',
  status: {
    jobId: '7',
    queue: 'imports',
    incarnation: 'i1',
    name: 'import',
    state: 'active',
    progress: { percent: 40, rows: [1, 2] },
    step: { name: 'parse', status: 'started', index: 0, total: 2, startedAt: 1, durationMs: 0, attempt: 1 },
    steps: [{ name: 'parse', status: 'started' }],
    attempt: 1,
    maxAttempts: 3,
    willRetry: false,
    nextAttemptAt: 5,
    failure: { code: 'E', message: 'failed', step: 'parse', lastCompletedStep: 'fetch' },
    deduplicatedBy: '6',
    data: { rows: 10 },
    correlationId: 'c',
    traceId: 't',
    worker: { host: 'h', pid: 1, version: '1.0.0' },
    warnings: [{ code: 'NO_WORKER', message: 'nobody listens', until: 9 }],
    enqueuedAt: 1,
    startedAt: 2,
    finishedAt: 3,
    updatedAt: 4,
  },
  at: 10,
  reason: 'checked',
};

/** A valid message of each kind (both sides of each ack). */
const SAMPLES: Record<(typeof WIRE_SCHEMA_NAMES)[number], unknown[]> = {
  HelloSchema: [{ protocol: 1, nodeId: 'n1', window: { historySize: 100, historyTtlMs: 60_000 }, expiresAt: 123 }],
  StatusEventSchema: [statusEvent, { ...statusEvent, status: { ...statusEvent.status, progress: 40 } }],
  RevokedSchema: [{ room: ROOM, code: 'REVOKED', message: 'gone' }],
  ResyncNoticeSchema: [{ room: ROOM, reason: 'redis lost its data' }],
  WireErrorSchema: [wireError],
  SubscribeAckSchema: [
    { ok: true, room: ROOM, epoch: 'e1', seq: 3, mode: 'snapshot', jobs: [statusEvent], events: [statusEvent], resync: 'epoch-changed' },
    { ok: false, error: wireError },
  ],
  UnsubscribeAckSchema: [{ ok: true }, { ok: false, error: wireError }],
  ReplayAckSchema: [{ ok: true, complete: true, events: [statusEvent] }, { ok: false, error: wireError }],
  RefreshAckSchema: [{ ok: true, expiresAt: 5 }, { ok: false, error: wireError }],
  HeartbeatAckSchema: [{ ok: true, at: 1, rooms: [{ room: 'a', subscribed: true, epoch: 'e', seq: 2 }] }, { ok: false, error: wireError }],
};

/** Values tried in place of each part of a valid message: wrong types, and both sides of every bound the schemas use. */
const REPLACEMENTS: unknown[] = [
  undefined,
  null,
  true,
  {},
  [],
  JSON.parse('{"__proto__": {"polluted": 1}, "a": 1}'),
  ...[0, -0, 1, -1, 1.5, 100, 101, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53)],
  ...[0, 1, 64, 65, 100, 101, 200, 201, 256, 257, 500, 501, 1_000, 1_001, 1_024, 1_025].map((length) => 'a'.repeat(length)),
  ...['type:id', 'a:b:c', 'a::b', ':a', 'a', `${'x'.repeat(128)}:a`, `${'x'.repeat(129)}:a`, 'a:b c', 'REVOKED', 'active', 'snapshot'],
];

/** Every variant of `value` with one part replaced, removed, doubled past a length cap or given an extra key. */
function* mutations(value: unknown): Generator<unknown> {
  yield* REPLACEMENTS;
  if (Array.isArray(value)) {
    if (value.length === 0) return;
    for (const length of [11, 101]) yield Array.from({ length }, () => value[0]);
    for (const item of mutations(value[0])) yield [item, ...value.slice(1)];
  } else if (typeof value === 'object' && value !== null) {
    yield { ...value, extra: 1 };
    for (const [key, field] of Object.entries(value)) {
      const { [key]: _removed, ...rest } = value as Record<string, unknown>;
      yield rest;
      for (const item of mutations(field)) yield { ...value, [key]: item };
    }
  }
}

const issuesOf = (result: { error?: { issues: ReadonlyArray<{ code: string; path: PropertyKey[] }> } }) =>
  result.error?.issues.map(({ code, path }) => ({ code, path }));

describe('wireSchemas', () => {
  it('matches what scripts/wireSchemas.ts renders from the schemas in shared/ (npm run wire-schemas after changing one)', () => {
    expect(readFileSync(new URL('../../client/wireSchemas.ts', import.meta.url), 'utf8')).toBe(renderWireSchemas());
  });

  it.each(WIRE_SCHEMA_NAMES)('%s accepts, rejects and outputs what its zod schema does', (name) => {
    const compiled = wire[name];
    const zod = shared[name];
    let compared = 0;
    for (const sample of SAMPLES[name]) {
      for (const input of [sample, ...mutations(sample)]) {
        const expected = zod.safeParse(input);
        const actual = compiled.safeParse(input);
        const context = JSON.stringify(input)?.slice(0, 300);
        expect(actual.success, context).toBe(expected.success);
        if (expected.success) expect(actual.data, context).toStrictEqual(expected.data);
        else expect(issuesOf(actual), context).toEqual(issuesOf(expected));
        compared += 1;
      }
    }
    expect(compared).toBeGreaterThan(50);
  });

  it('drops a "__proto__" key of a record rather than letting it replace the output\'s prototype', () => {
    const data: unknown = JSON.parse('{"__proto__": {"polluted": 1}, "rows": 10}');
    const input = { ...statusEvent, status: { ...statusEvent.status, data } };
    const parsed = wire.StatusEventSchema.safeParse(input).data?.status.data;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed!)).toEqual(['rows']);
    expect(parsed).toStrictEqual(shared.StatusEventSchema.safeParse(input).data?.status.data);
  });

  it('reports issues as zod/mini does: its code, the path and "Invalid input" (or the refinement\'s message)', () => {
    const input = { room: 'bad', code: 1, message: 'm' };
    const result = wire.RevokedSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual(
      shared.RevokedSchema.safeParse(input).error?.issues.map(({ code, path, message }) => ({ code, path, message })),
    );
    expect(JSON.parse(result.error!.message)).toEqual(result.error?.issues);
  });
});
