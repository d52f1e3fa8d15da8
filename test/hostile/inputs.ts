/**
 * Hostile inputs over the protocol: other tenants' rooms (IDOR) by subscribe, replay and
 * HTTP, fuzzed room names, and bad Origins. Every `ok: true` for a room the user may not
 * see is an unauthorized join; every job:status of such a room an attacker receives is a
 * cross-tenant frame (counted in tenant.ts).
 */
import { io as connectSocket } from 'socket.io-client';
import { EVENTS } from '../../shared/index.js';
import { connectAttacker, mayJoin, SECRET_ROOM, USERS, ALLOWED_ORIGIN, type TenantEnv, type UserName } from './tenant.js';
import { describeError, type ScenarioContext } from './report.js';
import type { Rng } from './random.js';

const FOREIGN_ROOMS = [SECRET_ROOM, 'tenant:b:document:1', 'tenant:b:document:2', 'tenant:b:document:5', 'tenant:b:user:bob', 'tenant:a:user:alice', 'tenant:a:document:canary'];

/** GET an HTTP route as `user`; a 200 for a room the user may not see is an unauthorized read. */
async function httpGet(ctx: ScenarioContext, env: TenantEnv, path: string, token: string | undefined, allowed: boolean, what: string): Promise<number> {
  const response = await fetch(`${env.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} }).catch((error: unknown) => describeError(error));
  if (typeof response === 'string') {
    ctx.tally.crash(`${what}: ${response}`);
    return 0;
  }
  await response.arrayBuffer();
  if (response.status >= 500) ctx.tally.crash(`${what}: HTTP ${response.status}`);
  if (response.status === 200 && !allowed) ctx.tally.unauthorizedJoin(`${what}: HTTP 200`);
  return response.status;
}

export async function idorScenario(ctx: ScenarioContext, env: TenantEnv): Promise<void> {
  const attackers = await Promise.all((['mallory', 'eve', 'trudy'] as const).map((user) => connectAttacker(ctx, env, user)));
  const victimAck = await env.victim.timeout(5_000).emitWithAck(EVENTS.subscribe, { room: SECRET_ROOM });
  const victimEpoch = String(victimAck.epoch ?? 'e');
  let legitRefused = 0;
  for (const attacker of attackers) {
    const claims = USERS[attacker.user];
    // A control: a room the user may see must be open, or the oracle and the server disagree.
    const own = attacker.user === 'eve' ? 'tenant:a:document:eve' : `tenant:${claims.sub.split(':')[0]}:document:1`;
    const ownAck = await attacker.ask(EVENTS.subscribe, { room: own });
    if (!ownAck?.ok) legitRefused++;
    ctx.tally.tried('IDOR');
    for (const room of FOREIGN_ROOMS) {
      if (mayJoin(claims, room)) continue;
      for (const since of [undefined, { epoch: victimEpoch, seq: 0 }]) {
        await attacker.ask(EVENTS.subscribe, since ? { room, since } : { room });
        ctx.tally.tried('IDOR');
      }
      for (const to of [1, 20, 1_000]) {
        await attacker.ask(EVENTS.replay, { room, epoch: victimEpoch, after: 0, to });
        ctx.tally.tried('IDOR');
      }
      await attacker.ask(EVENTS.unsubscribe, { room });
      ctx.tally.tried('IDOR');
      const token = env.token(attacker.user);
      for (const path of [`/jobcast/rooms/${room}`, `/jobcast/rooms/${encodeURIComponent(room)}`, `/jobcast/rooms/${encodeURIComponent(encodeURIComponent(room))}`, `/jobcast/debug/rooms/${room}`]) {
        await httpGet(ctx, env, path, token, false, `${claims.sub} GET ${path}`);
        ctx.tally.tried('IDOR');
      }
      // Replays of a room the attacker does hold, asked with another room's epoch and name mixed in.
      await attacker.ask(EVENTS.replay, { room: own, epoch: victimEpoch, after: 0, to: 50, extra: room });
      ctx.tally.tried('IDOR');
    }
    for (const path of ['/jobcast/debug', '/jobcast/debug?room=tenant:b:document:secret']) {
      await httpGet(ctx, env, path, env.token(attacker.user), false, `${claims.sub} GET ${path}`);
      await httpGet(ctx, env, path, env.token(attacker.user, { debug: true }), false, `${claims.sub} (debug claim) GET ${path}`);
      ctx.tally.tried('IDOR', 2);
    }
    await httpGet(ctx, env, `/jobcast/rooms/${SECRET_ROOM}`, undefined, false, 'anonymous GET the secret room');
    ctx.tally.tried('IDOR');
  }
  // The operator's debug view works: otherwise refusing everyone above proves nothing.
  const ops = env.tokens.issue({ sub: 'ops:root', rooms: [], debug: true });
  const opsStatus = await httpGet(ctx, env, '/jobcast/debug', ops, true, 'ops GET /jobcast/debug');
  ctx.check('IDOR: controls (own rooms open, operator debug view open)', legitRefused === 0 && opsStatus === 200, `own rooms refused ${legitRefused}, ops debug ${opsStatus}`);
  for (const attacker of attackers) attacker.close();
}

const CONFUSABLES: Record<string, string[]> = {
  a: ['а', 'ɑ', 'ａ', 'Α'],
  b: ['Ь', 'ｂ', 'ḃ', 'B'],
  e: ['е', 'ｅ'],
  o: ['о', '０', 'ο'],
  ':': ['：', '꞉', '∶', '%3A', '%3a', '::', ';', '\u0000:', ':\u200b'],
  t: ['т', 'ｔ'],
};
const SPECIALS = ['*', '#', '?', '+', '.*', '**', '%', '>', '${t}', '{t}', '__proto__', 'constructor', 'prototype', 'hasOwnProperty', '..', '.', '~', '@'];

function mutate(rng: Rng, room: string): string {
  const chars = [...room];
  switch (rng.int(0, 11)) {
    case 0: {
      const index = chars.findIndex((char, at) => at >= rng.int(0, chars.length - 1) && CONFUSABLES[char]);
      if (index >= 0) chars[index] = rng.pick(CONFUSABLES[chars[index]!]!);
      return chars.join('');
    }
    case 1:
      return room.replace(/[a-z]/g, (char) => (rng.chance(0.3) ? char.toUpperCase() : char));
    case 2: {
      const parts = room.split(':');
      parts[rng.int(0, parts.length - 1)] = rng.pick(SPECIALS);
      return parts.join(':');
    }
    case 3:
      return `${rng.pick(['', ' ', '\t', '\n', '\u200b', '\ufeff', 'jobcast:', '/', 'tenant:a:'])}${room}${rng.pick(['', ' ', '\n', '\u0000', ':', ':x', '/../a', '#a', '?t=a', ':tenant:a'])}`;
    case 4:
      return `${room}:${room}`;
    case 5:
      return room.replace('tenant:b', rng.pick(['tenant:a:document:1:tenant:b', 'tenant:b:document', 'tenant:*', 'tenant:a\u0000b', 'tenant:a|b', 'tenant:a,b', 'tenant:a b']));
    case 6:
      return 'x'.repeat(rng.pick([129, 257, 1_023, 1_025, 4_000, 20_000])).replace(/^x{6}/, 'tenant');
    case 7:
      return room.split(':').map((part) => (rng.chance(0.5) ? encodeURIComponent(part) : part)).join(rng.pick([':', '%3A', '：']));
    case 8:
      return room.replace(/:/g, rng.pick(['_', '/', '.', '-', ' ', '#']));
    case 9:
      return chars.map((char) => (rng.chance(0.15) ? String.fromCharCode(char.charCodeAt(0) + rng.int(-2, 2)) : char)).join('');
    case 10:
      return rng.pick(['__proto__', 'constructor', 'toString', '*', '#', '', ':', '::', 'tenant', 'tenant:', ':b', 'jobcast:*', '/', '\u0000']);
    default:
      return `tenant:${rng.pick(['b', 'B', 'b ', ' b', 'a', '__proto__', '*'])}:${rng.pick(['document', 'user', 'Document', '*'])}:${rng.pick(['secret', '1', 'bob', 'alice', '*', '__proto__'])}`;
  }
}

/** Non-string room values: numbers, arrays, objects that pretend to be strings. */
const NON_STRINGS: unknown[] = [null, 0, 1e309, -1, true, [], [SECRET_ROOM], { toString: SECRET_ROOM }, { room: SECRET_ROOM }, JSON.parse('{"__proto__":{"room":"tenant:b:document:secret"}}')];

export async function roomFuzzScenario(ctx: ScenarioContext, env: TenantEnv, count = 400): Promise<void> {
  const rng = ctx.rng.fork('room-fuzz');
  const users: UserName[] = ['mallory', 'trudy', 'eve'];
  const attackers = await Promise.all(users.map((user) => connectAttacker(ctx, env, user)));
  const others = [env.victim.id ?? 'victim', attackers[1]!.socket.id ?? 'trudy', (env.victim.io.engine as unknown as { id?: string }).id ?? 'sid'];
  const bases = [...FOREIGN_ROOMS, ...others.map((id) => `tenant:b:document:${id}`)];
  let unexpectedErrors = 0;
  for (let index = 0; index < count; index++) {
    let attacker = attackers[index % attackers.length]!;
    if (attacker.socket.disconnected) {
      attacker = await connectAttacker(ctx, env, attacker.user);
      attackers[index % attackers.length] = attacker;
    }
    const draw = rng.next();
    const room = draw < 0.06 ? rng.pick(others) : draw < 0.1 ? rng.pick(NON_STRINGS) : mutate(rng, rng.pick(bases));
    if (typeof room === 'string' && draw > 0.9) {
      // The same fuzzed name over HTTP, as the path segment.
      await httpGet(ctx, env, `/jobcast/rooms/${encodeURIComponent(room)}`, env.token(attacker.user), mayJoin(USERS[attacker.user], room), `${attacker.user} GET fuzzed room`);
    } else {
      const answer = await attacker.ask(EVENTS.subscribe, { room });
      const code = answer?.error?.code;
      // Past Socket.IO's maxHttpBufferSize (16 KiB) the transport itself closes the connection.
      const oversized = typeof room === 'string' && room.length > 16_000 && code === 'NO_ANSWER';
      if (!answer?.ok && !oversized && !['INVALID_ROOM', 'FORBIDDEN', 'BAD_REQUEST', 'PAYLOAD_TOO_LARGE'].includes(code)) {
        unexpectedErrors++;
        ctx.tally.note(`room fuzz: ${JSON.stringify(room)?.slice(0, 80)} answered ${JSON.stringify(answer)?.slice(0, 200)}`);
      }
    }
    ctx.tally.tried('room fuzz');
  }
  ctx.check('room fuzz: every refusal carries a protocol error code', unexpectedErrors === 0, `${unexpectedErrors} unexpected answers`);
  for (const attacker of attackers) attacker.close();
}

const BAD_ORIGINS = [
  'https://evil.example',
  'http://app.example',
  'https://app.example.evil.example',
  'https://evil.example/https://app.example',
  'https://app.example@evil.example',
  'https://app.example:8443',
  'https://APP.EXAMPLE',
  'https://app.example.',
  'https://app.example/',
  'https://app.example, https://evil.example',
  'https://аpp.example',
  'https://xn--pp-8cd.example',
  'null',
  '',
  'file://',
  'https://app.exampl',
  'https://app.example\u0000',
  'wss://app.example',
  'https://app.example%2eevil.example',
];

export async function badOriginScenario(ctx: ScenarioContext, env: TenantEnv): Promise<void> {
  const attempt = (origin: string | undefined, transport: 'websocket' | 'polling') =>
    new Promise<'connected' | 'refused'>((resolve) => {
      const socket = connectSocket(env.url, {
        auth: { token: env.token('mallory'), protocol: 1 },
        transports: [transport],
        reconnection: false,
        forceNew: true,
        timeout: 5_000,
        ...(origin === undefined ? {} : { extraHeaders: { origin } }),
      });
      ctx.scope.defer(() => socket.close());
      socket.once('connect', () => {
        socket.close();
        resolve('connected');
      });
      socket.once('connect_error', () => {
        socket.close();
        resolve('refused');
      });
    });
  // Controls: the allowed origin, and no Origin at all (not a browser), connect on both transports.
  const controls = [await attempt(ALLOWED_ORIGIN, 'websocket'), await attempt(ALLOWED_ORIGIN, 'polling'), await attempt(undefined, 'websocket')];
  ctx.check('bad origins: controls (allowed origin, no origin) connect', controls.every((outcome) => outcome === 'connected'), controls.join(', '));
  for (const origin of BAD_ORIGINS) {
    for (const transport of ['websocket', 'polling'] as const) {
      const outcome = await attempt(origin, transport).catch(() => 'refused' as const);
      if (outcome === 'connected') ctx.tally.unauthorizedJoin(`Origin ${JSON.stringify(origin)} connected over ${transport}`);
      ctx.tally.tried('bad origins');
    }
    // The bare Engine.IO handshake over HTTP must be refused too, not only the Socket.IO connect.
    const response = await fetch(`${env.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin } }).catch(() => undefined);
    if (response) {
      const body = await response.text();
      if (response.status === 200 && body.startsWith('0{')) ctx.tally.unauthorizedJoin(`Origin ${JSON.stringify(origin)} got an Engine.IO session over polling`);
      if (response.status >= 500) ctx.tally.crash(`polling handshake with Origin ${JSON.stringify(origin)}: HTTP ${response.status}`);
    }
    ctx.tally.tried('bad origins');
  }
}
