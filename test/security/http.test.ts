import { afterEach, describe, expect, it } from 'vitest';
import type { TestUser } from '../support/harness.js';
import { startStack, tokenAuth, uniqueName, type TestStack } from '../support/stack.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function stackWith(options: Partial<Parameters<typeof startStack>[0]> = {}): Promise<TestStack> {
  const stack = await startStack({ queues: [uniqueName('http')], ...options });
  cleanups.push(() => stack.close());
  return stack;
}

const get = (stack: TestStack, path: string, token?: string) =>
  fetch(`${stack.url}/jobcast${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

/** The body of an error answer, checked to be JSON `{ error: { code, message } }` and nothing more. */
async function errorBody(response: Response): Promise<{ code: string; message: string }> {
  expect(response.headers.get('content-type')).toContain('application/json');
  const text = await response.text();
  expect(text).not.toMatch(/node_modules|\/work\/|\bat \w|stack/);
  const body = JSON.parse(text) as { error: { code: string; message: string } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message']);
  return body.error;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the HTTP rate limit', () => {
  it('answers 429 RATE_LIMITED with Retry-After past a token’s burst, for that token only, and serves it again later', async () => {
    const stack = await stackWith({ httpLimits: { snapshotRate: 2, snapshotBurst: 3 } });
    const statuses = [];
    for (let index = 0; index < 3; index++) statuses.push((await get(stack, '/rooms/document:1', 'user:alice')).status);
    expect(statuses).toEqual([200, 200, 200]);
    const limited = await get(stack, '/rooms/document:1', 'user:alice');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(await errorBody(limited)).toEqual({ code: 'RATE_LIMITED', message: 'Too many requests; retry in 1 s.' });
    expect((await get(stack, '/rooms/document:1', 'user:bob')).status).toBe(200);
    // The debug views draw from the same bucket.
    expect((await get(stack, '/debug', 'user:alice')).status).toBe(429);
    await sleep(600);
    expect((await get(stack, '/rooms/document:1', 'user:alice')).status).toBe(200);
    const metrics = await (await get(stack, '/metrics')).text();
    expect(metrics).toContain('jobcast_limit_breaches_total{code="RATE_LIMITED"} 2');
  });

  it('limits one address whatever tokens it makes up, before authenticate runs', async () => {
    let lookups = 0;
    const authenticate = (context: Parameters<NonNullable<typeof tokenAuth>>[0]): TestUser | null => {
      lookups++;
      return tokenAuth!(context) as TestUser | null;
    };
    const stack = await stackWith({ authenticate, httpLimits: { snapshotAddressRate: 1, snapshotAddressBurst: 5 } });
    const statuses = [];
    for (let index = 0; index < 10; index++) statuses.push((await get(stack, '/rooms/document:1', `user:made-up-${index}`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429, 429, 429]);
    expect(lookups).toBe(5);
    expect((await get(stack, '/rooms/document:1')).status).toBe(429); // no token: the address alone
  });

  it('leaves health and metrics alone', async () => {
    const stack = await stackWith({ httpLimits: { snapshotAddressRate: 1, snapshotAddressBurst: 1 } });
    const statuses = await Promise.all(Array.from({ length: 20 }, (_, index) => get(stack, index % 2 ? '/health' : '/metrics').then((response) => response.status)));
    expect(new Set(statuses)).toEqual(new Set([200]));
  });
});

describe('router errors', () => {
  it('answer JSON { error: { code, message } } with no stack or server path, whatever failed', async () => {
    const stack = await stackWith({
      authenticate: (context) => {
        if (context.token === 'user:broken') throw new TypeError('user store at /work/app/db.ts is down');
        return tokenAuth!(context);
      },
      channels: {
        'document:{id}': () => true,
        'crash:{id}': () => {
          throw new Error('rule failed at /work/app/rules.ts:12');
        },
      },
      canDebug: (user) => {
        if (user.id === 'alice') throw new Error('canDebug blew up at /work/app/debug.ts');
        return user.id === 'dev';
      },
    });
    const cases: Array<[path: string, token: string | undefined, status: number, code: string]> = [
      ['/rooms/document:1', undefined, 401, 'UNAUTHENTICATED'],
      ['/rooms/document:1', 'user:broken', 401, 'UNAUTHENTICATED'],
      ['/rooms/nope_1', 'user:alice', 404, 'INVALID_ROOM'],
      ['/rooms/crash:1', 'user:alice', 500, 'INTERNAL'],
      ['/rooms/%ZZ', 'user:alice', 400, 'BAD_REQUEST'],
      ['/debug', 'user:alice', 500, 'INTERNAL'],
      ['/debug', 'user:bob', 403, 'FORBIDDEN'],
      ['/debug/rooms/%E0%A4%A', 'user:dev', 400, 'BAD_REQUEST'],
    ];
    for (const [path, token, status, code] of cases) {
      const response = await get(stack, path, token);
      expect(response.status, path).toBe(status);
      expect((await errorBody(response)).code, path).toBe(code);
    }
  });
});
