/**
 * Token attacks: expired, forged (another secret, tampered claims, alg none, signature
 * games), malformed claims, refresh as someone else, expiry on a live connection, and
 * `server.revoke(user, room)` followed by resubscribes over the socket and over HTTP.
 */
import { createHmac } from 'node:crypto';
import { io as connectSocket } from 'socket.io-client';
import { createTokenIssuer } from '../../server/index.js';
import { EVENTS, type StatusEvent } from '../../shared/index.js';
import { waitFor } from '../support/harness.js';
import { ALLOWED_ORIGIN, SECRET, connectAttacker, type TenantEnv } from './tenant.js';
import { sleep, type ScenarioContext } from './report.js';

const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');
const sign = (secret: string, unsigned: string) => b64(createHmac('sha256', secret).update(unsigned).digest());
const HEADER = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
const now = () => Math.floor(Date.now() / 1000);

/** A token with exactly these claims and header, signed with `secret` (or not at all). */
function craft(claims: Record<string, unknown>, options: { header?: string; secret?: string | null } = {}) {
  const header = options.header ?? HEADER;
  const unsigned = `${header}.${b64(JSON.stringify(claims))}`;
  return options.secret === null ? `${unsigned}.` : `${unsigned}.${sign(options.secret ?? SECRET, unsigned)}`;
}

function forgedTokens(env: TenantEnv): Array<[string, unknown]> {
  const bob = env.token('bob');
  const [header, payload, signature] = bob.split('.') as [string, string, string];
  const bobClaims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  const base = { sub: 'b:bob', rooms: ['tenant:b:document:*'], iat: now(), exp: now() + 600, jti: 'x' };
  const other = createTokenIssuer({ secret: 'another-secret-that-is-also-long-enough!!' });
  return [
    ['expired', env.token('bob', { ttlMs: -60_000 })],
    ['signed with another secret', other.issue({ sub: 'b:bob', rooms: ['tenant:b:document:*'] })],
    ['tampered sub', `${header}.${b64(JSON.stringify({ ...bobClaims, sub: 'a:mallory' }))}.${signature}`],
    ['tampered scope', `${header}.${b64(JSON.stringify({ ...bobClaims, rooms: ['tenant:*:*:*'] }))}.${signature}`],
    ['tampered exp', `${header}.${b64(JSON.stringify({ ...bobClaims, exp: now() + 1e8 }))}.${signature}`],
    ['alg none', craft(base, { header: b64(JSON.stringify({ alg: 'none', typ: 'JWT' })), secret: null })],
    ['alg none, no dot', craft(base, { header: b64(JSON.stringify({ alg: 'none' })), secret: null }).slice(0, -1)],
    ['alg None', craft(base, { header: b64(JSON.stringify({ alg: 'None', typ: 'JWT' })), secret: null })],
    ['alg HS512 header', craft(base, { header: b64(JSON.stringify({ alg: 'HS512', typ: 'JWT' })) })],
    ['HS256 header, no signature', `${header}.${payload}.`],
    ['truncated signature', bob.slice(0, -6)],
    ['signature of another token', `${header}.${payload}.${env.token('mallory').split('.')[2]}`],
    ['four parts', `${bob}.${signature}`],
    ['signed, expired', craft({ ...base, exp: now() - 3_600 })],
    ['signed, issued in the future', craft({ ...base, iat: now() + 3_600 })],
    ['signed, exp as a string', craft({ ...base, exp: String(now() + 600) })],
    ['signed, no sub', craft({ rooms: base.rooms, iat: now(), exp: now() + 600 })],
    ['signed, rooms not an array', craft({ ...base, rooms: 'tenant:b:document:*' })],
    ['signed, payload not JSON', `${HEADER}.${b64('{"sub":')}.${sign(SECRET, `${HEADER}.${b64('{"sub":')}`)}`],
    ['empty', ''],
    ['huge', 'a'.repeat(9_000)],
    ['NUL bytes in the claims', `${header}.${payload}\u0000.${signature}`],
    ['a number', 42],
    ['an object', { sub: 'b:bob', rooms: ['tenant:b:document:*'] }],
    ['an array', [bob]],
  ];
}

export async function tokenScenario(ctx: ScenarioContext, env: TenantEnv): Promise<void> {
  // 1. Handshakes with bad tokens: none may connect.
  for (const [name, token] of forgedTokens(env)) {
    const outcome = await new Promise<string>((resolve) => {
      const socket = connectSocket(env.url, { auth: { token, protocol: 1 }, transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { origin: ALLOWED_ORIGIN } });
      ctx.scope.defer(() => socket.close());
      socket.once('connect', () => (socket.close(), resolve('connected')));
      socket.once('connect_error', (error: Error & { data?: { code?: string } }) => (socket.close(), resolve(error.data?.code ?? 'refused')));
    });
    if (outcome === 'connected') ctx.tally.unauthorizedJoin(`a ${name} token connected`);
    ctx.tally.tried('tokens');
    // The same token as a bearer over HTTP.
    if (typeof token === 'string' && token.length < 8_000) {
      const response = await fetch(`${env.url}/jobcast/rooms/tenant:b:document:secret`, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
      if (response?.status === 200) ctx.tally.unauthorizedJoin(`a ${name} token read a room over HTTP`);
      if (response && response.status >= 500) ctx.tally.crash(`GET room with a ${name} token: HTTP ${response.status}`);
      ctx.tally.tried('tokens');
    }
  }

  // 2. Refresh as someone else, or with a bad token, on a live connection.
  const eve = await connectAttacker(ctx, env, 'eve');
  for (const [name, token] of [
    ['mallory', env.token('mallory')],
    ['bob', env.token('bob')],
    ...forgedTokens(env).slice(0, 8),
  ] as Array<[string, unknown]>) {
    const answer = await eve.ask(EVENTS.refresh, { token });
    if (answer?.ok === true) ctx.tally.unauthorizedJoin(`eve refreshed with ${name}'s token`);
    await eve.ask(EVENTS.subscribe, { room: 'tenant:b:document:secret' });
    await eve.ask(EVENTS.subscribe, { room: 'tenant:a:user:alice' });
    ctx.tally.tried('tokens', 3);
  }
  eve.close();

  // 3. A token that expires on a live connection: its rooms are revoked and stay closed.
  const shortLived = await connectAttacker(ctx, env, 'alice', env.token('alice', { ttlMs: 3_000 }));
  const afterExpiry: StatusEvent[] = [];
  let expiredNotice = false;
  shortLived.socket.on(EVENTS.revoked, (notice: { code?: string }) => (expiredNotice ||= notice.code === 'TOKEN_EXPIRED'));
  shortLived.socket.on(EVENTS.status, (event: StatusEvent) => expiredNotice && afterExpiry.push(event));
  const first = await shortLived.ask(EVENTS.subscribe, { room: 'tenant:a:user:alice' });
  await waitFor(() => expiredNotice, 'the TOKEN_EXPIRED notice', 10_000).catch(() => undefined);
  await sleep(700);
  const again = await shortLived.ask(EVENTS.subscribe, { room: 'tenant:a:user:alice' });
  if (again?.ok) ctx.tally.unauthorizedJoin('subscribe after the token expired was accepted');
  const http = await fetch(`${env.url}/jobcast/rooms/tenant:a:user:alice`, { headers: { authorization: `Bearer ${env.token('alice', { ttlMs: -60_000 })}` } });
  if (http.status === 200) ctx.tally.unauthorizedJoin('HTTP snapshot with an expired token');
  await sleep(600); // the pump runs every 250 ms: frames would have arrived by now
  if (afterExpiry.length > 0) ctx.tally.unauthorizedJoin(`${afterExpiry.length} frames of tenant:a:user:alice after its token expired`);
  ctx.check('tokens: an expiring token is revoked live (control)', first?.ok === true && expiredNotice, `first subscribe ok=${first?.ok}, notice=${expiredNotice}`);
  ctx.tally.tried('tokens', 4);
  shortLived.close();

  // 4. revoke(user, room), then revoke(user): resubscribes over the socket and HTTP reads are refused.
  const alice = await connectAttacker(ctx, env, 'alice');
  const revokedRooms = new Set<string>();
  const framesAfterRevoke: string[] = [];
  alice.socket.on(EVENTS.revoked, (notice: { room: string }) => revokedRooms.add(notice.room));
  alice.socket.on(EVENTS.status, (event: StatusEvent) => revokedRooms.has(event.room) && framesAfterRevoke.push(`${event.room}#${event.seq}`));
  const opened = [await alice.ask(EVENTS.subscribe, { room: 'tenant:a:user:alice' }), await alice.ask(EVENTS.subscribe, { room: 'tenant:a:document:7' })];
  await env.stack.server.revoke('a:alice', 'tenant:a:user:alice');
  await waitFor(() => revokedRooms.has('tenant:a:user:alice'), 'room:revoked for alice', 10_000).catch(() => undefined);
  const checks: Array<[string, () => Promise<boolean>]> = [
    ['resubscribe on the same connection', async () => (await alice.ask(EVENTS.subscribe, { room: 'tenant:a:user:alice' }))?.ok === true],
    ['resubscribe with a cursor', async () => (await alice.ask(EVENTS.subscribe, { room: 'tenant:a:user:alice', since: { epoch: String(opened[0]?.epoch ?? 'e'), seq: 0 } }))?.ok === true],
    ['replay of the revoked room', async () => (await alice.ask(EVENTS.replay, { room: 'tenant:a:user:alice', epoch: String(opened[0]?.epoch ?? 'e'), after: 0, to: 10 }))?.ok === true],
    [
      'resubscribe on a new connection with a fresh token',
      async () => {
        const fresh = await connectAttacker(ctx, env, 'alice');
        const answer = await fresh.ask(EVENTS.subscribe, { room: 'tenant:a:user:alice' });
        fresh.close();
        return answer?.ok === true;
      },
    ],
    ['HTTP snapshot of the revoked room', async () => (await fetch(`${env.url}/jobcast/rooms/tenant:a:user:alice`, { headers: { authorization: `Bearer ${env.token('alice')}` } })).status === 200],
  ];
  for (const [name, attempt] of checks) {
    if (await attempt()) ctx.tally.unauthorizedJoin(`after revoke(a:alice, tenant:a:user:alice): ${name} succeeded`);
    ctx.tally.tried('tokens');
  }
  await env.stack.server.revoke('a:alice');
  await waitFor(() => revokedRooms.has('tenant:a:document:7'), 'room:revoked for every room', 10_000).catch(() => undefined);
  if ((await alice.ask(EVENTS.subscribe, { room: 'tenant:a:document:7' }))?.ok) ctx.tally.unauthorizedJoin('after revoke(a:alice): resubscribe to tenant:a:document:7 succeeded');
  if ((await fetch(`${env.url}/jobcast/rooms/tenant:a:document:7`, { headers: { authorization: `Bearer ${env.token('alice')}` } })).status === 200) {
    ctx.tally.unauthorizedJoin('after revoke(a:alice): HTTP snapshot of tenant:a:document:7 succeeded');
  }
  await sleep(600);
  if (framesAfterRevoke.length > 0) ctx.tally.unauthorizedJoin(`${framesAfterRevoke.length} frames after revoke (${framesAfterRevoke.slice(0, 3).join(', ')})`);
  ctx.tally.tried('tokens', 3);
  ctx.check('tokens: revoke control (alice was subscribed, then told)', opened.every((answer) => answer?.ok) && revokedRooms.size === 2, `opened ${opened.map((answer) => answer?.ok)}, revoked ${[...revokedRooms].join(',')}`);
  alice.close();
}
