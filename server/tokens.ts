import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { isValidRoomName } from '../shared/index.js';
import { JobcastError } from './errors.js';

/** What a jobcast access token says: who, which rooms (names or `*` patterns), until when. */
export interface TokenClaims {
  /** The user (subject) the token was issued to. */
  sub: string;
  /** Rooms the token opens: exact names, or patterns where `*` stands for one segment (`document:*`). */
  rooms: string[];
  /** May this user read debug views and failure details? */
  debug?: boolean;
  /** Issued at / expires at, in seconds since the epoch (JWT convention). */
  iat: number;
  exp: number;
  /** Token id, so one token can be revoked. */
  jti: string;
}

export interface TokenIssuerOptions {
  /** HMAC-SHA256 key: at least 32 bytes of secret. */
  secret: string | Buffer;
  /** Lifetime of issued tokens. @default 900_000 (15 minutes) */
  ttlMs?: number;
  /** Clock difference tolerated between the issuing and the verifying host. @default 5_000 */
  clockToleranceMs?: number;
}

const base64url = (input: Buffer | string) => Buffer.from(input).toString('base64url');

/**
 * Issues and verifies short-lived, signed, room-scoped tokens (a compact JWT, HS256), like a
 * public access token: the app server issues one for the rooms a page needs; the jobcast
 * server accepts it without a database round trip.
 * @example
 * const tokens = createTokenIssuer({ secret: process.env.JOBCAST_SECRET! });
 * res.json({ token: tokens.issue({ sub: user.id, rooms: [`document:${doc.id}`] }) });
 */
export function createTokenIssuer(options: TokenIssuerOptions) {
  const secret = Buffer.isBuffer(options.secret) ? options.secret : Buffer.from(options.secret);
  if (secret.length < 32) throw new TypeError('createTokenIssuer needs a secret of at least 32 bytes');
  const ttlMs = options.ttlMs ?? 900_000;
  const toleranceMs = options.clockToleranceMs ?? 5_000;
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const sign = (data: string) => createHmac('sha256', secret).update(data).digest();

  return {
    /** A signed token for `sub`, opening `rooms`, valid for `ttlMs`. */
    issue(claims: { sub: string; rooms: string[]; debug?: boolean; ttlMs?: number }): string {
      for (const room of claims.rooms) {
        if (!isValidRoomName(room.replaceAll('*', 'x'))) throw new TypeError(`Invalid room or pattern in token: ${JSON.stringify(room)}`);
      }
      const now = Date.now();
      const body: TokenClaims = {
        sub: claims.sub,
        rooms: claims.rooms,
        ...(claims.debug ? { debug: true } : {}),
        iat: Math.floor(now / 1_000),
        exp: Math.floor((now + (claims.ttlMs ?? ttlMs)) / 1_000),
        jti: randomUUID(),
      };
      const unsigned = `${header}.${base64url(JSON.stringify(body))}`;
      return `${unsigned}.${base64url(sign(unsigned))}`;
    },

    /** The claims of a valid token; throws UNAUTHENTICATED (forged, malformed) or TOKEN_EXPIRED. */
    verify(token: string, now = Date.now()): TokenClaims {
      const parts = typeof token === 'string' && token.length < 8_192 ? token.split('.') : [];
      if (parts.length !== 3 || parts[0] !== header) throw new JobcastError('UNAUTHENTICATED', 'Malformed access token.');
      const expected = sign(`${parts[0]}.${parts[1]}`);
      const given = Buffer.from(parts[2]!, 'base64url');
      // Node's decoder skips characters outside the alphabet: insist on the canonical form, so one token has one spelling.
      const canonical = given.toString('base64url') === parts[2];
      if (!canonical || given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new JobcastError('UNAUTHENTICATED', 'Access token signature does not match.');
      }
      let claims: TokenClaims;
      try {
        claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as TokenClaims;
      } catch {
        throw new JobcastError('UNAUTHENTICATED', 'Malformed access token.');
      }
      if (typeof claims.exp !== 'number' || !Array.isArray(claims.rooms) || typeof claims.sub !== 'string') {
        throw new JobcastError('UNAUTHENTICATED', 'Malformed access token.');
      }
      if (claims.exp * 1_000 + toleranceMs < now) throw new JobcastError('TOKEN_EXPIRED');
      if (claims.iat * 1_000 - toleranceMs > now) throw new JobcastError('UNAUTHENTICATED', 'Access token issued in the future.');
      return claims;
    },
  };
}
export type TokenIssuer = ReturnType<typeof createTokenIssuer>;

/** Does a room match a token's scope? `*` stands for exactly one segment. */
export function roomInScope(room: string, scope: readonly string[]): boolean {
  const parts = room.split(':');
  return scope.some((pattern) => {
    const patternParts = pattern.split(':');
    return patternParts.length === parts.length && patternParts.every((part, index) => part === '*' || part === parts[index]);
  });
}
