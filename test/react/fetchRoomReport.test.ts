import { describe, expect, it } from 'vitest';
import { fetchRoomReport } from '../../client/react/index.js';
import type { RoomDebugReport } from '../../shared/index.js';

const report: RoomDebugReport = {
  room: 'document:1',
  nodes: ['n1'],
  epoch: 'e1',
  seq: 0,
  stats: { room: 'document:1', broadcasts: 0, delivered: 0, unheard: 0, subscribers: 0 },
  recent: [],
  rejections: [],
  nearMisses: [],
};

function stub(status: number, body: unknown, seen: Array<{ url: string; headers: Headers }> = []): typeof fetch {
  return async (input, init) => {
    seen.push({ url: String(input), headers: new Headers(init?.headers) });
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  };
}

describe('fetchRoomReport', () => {
  it('asks GET {debugUrl}/debug/rooms/:room with the bearer token and returns the validated report', async () => {
    const seen: Array<{ url: string; headers: Headers }> = [];
    const result = await fetchRoomReport({ debugUrl: 'http://api/jobcast/', room: 'document:1', getDebugToken: async () => 'user:dev', fetch: stub(200, report, seen) });
    expect(result).toEqual({ ok: true, report });
    expect(seen[0]!.url).toBe('http://api/jobcast/debug/rooms/document%3A1');
    expect(seen[0]!.headers.get('authorization')).toBe('Bearer user:dev');
  });

  it('sends no authorization header without a token', async () => {
    const seen: Array<{ url: string; headers: Headers }> = [];
    await fetchRoomReport({ debugUrl: 'http://api/jobcast', room: 'document:1', fetch: stub(200, report, seen) });
    expect(seen[0]!.headers.has('authorization')).toBe(false);
  });

  it('returns the server\'s code and message for a refusal', async () => {
    const result = await fetchRoomReport({ debugUrl: 'http://api', room: 'document:1', fetch: stub(403, { error: { code: 'FORBIDDEN', message: 'No debug access.' } }) });
    expect(result).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: 'No debug access.' } });
  });

  it('reports a refusal without a body by its HTTP status', async () => {
    const result = await fetchRoomReport({ debugUrl: 'http://api', room: 'document:1', fetch: stub(404, 'not json') });
    expect(result).toMatchObject({ ok: false, error: { code: 'HTTP_404' } });
  });

  it('rejects an answer that does not match RoomDebugReportSchema', async () => {
    const result = await fetchRoomReport({ debugUrl: 'http://api', room: 'document:1', fetch: stub(200, { ...report, seq: -1 }) });
    expect(result).toMatchObject({ ok: false, error: { code: 'BAD_RESPONSE' } });
    if (!result.ok) expect(result.error.message).toContain('seq');
  });

  it('turns a network failure or a failing token callback into UNAVAILABLE instead of throwing', async () => {
    const down: typeof fetch = async () => {
      throw new TypeError('fetch failed');
    };
    expect(await fetchRoomReport({ debugUrl: 'http://api', room: 'document:1', fetch: down })).toEqual({
      ok: false,
      error: { code: 'UNAVAILABLE', message: 'request failed: fetch failed' },
    });
    const noToken = await fetchRoomReport({ debugUrl: 'http://api', room: 'document:1', fetch: stub(200, report), getDebugToken: () => Promise.reject(new Error('expired')) });
    expect(noToken).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', message: 'request failed: expired' } });
  });
});
