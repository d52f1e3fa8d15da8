import { describe, expect, it } from 'vitest';
import { createTokenIssuer, roomInScope } from '../../server/index.js';

const tokens = createTokenIssuer({ secret: 'a-test-secret-that-is-long-enough-for-hs256', clockToleranceMs: 1_000 });

describe('tokens', () => {
  it('verifies its own tokens and returns their claims', () => {
    const claims = tokens.verify(tokens.issue({ sub: 'alice', rooms: ['document:1'] }));
    expect(claims).toMatchObject({ sub: 'alice', rooms: ['document:1'] });
  });

  it('refuses a tampered payload, another spelling of the signature, and an expired token', () => {
    const token = tokens.issue({ sub: 'alice', rooms: ['document:1'] });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const tampered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), rooms: ['*:*'] })).toString('base64url');
    expect(() => tokens.verify(`${header}.${tampered}.${signature}`)).toThrow(/signature/);
    expect(() => tokens.verify(`${token}=`)).toThrow(/signature/);
    expect(() => tokens.verify(`${header}.${payload}.${signature}!`)).toThrow(/signature/);
    const expired = tokens.issue({ sub: 'alice', rooms: ['document:1'], ttlMs: -5_000 });
    expect(() => tokens.verify(expired)).toThrow(expect.objectContaining({ code: 'TOKEN_EXPIRED' }));
  });

  it('matches `*` to exactly one segment of a room', () => {
    expect(roomInScope('document:42', ['document:*'])).toBe(true);
    expect(roomInScope('org:7:document:42', ['document:*'])).toBe(false);
    expect(roomInScope('invoice:42', ['document:*'])).toBe(false);
  });
});
