/**
 * Floods: subscribes and messages as fast as one connection can send them, connections
 * past the per-user limit, and handshakes with garbage tokens. The limits answer with their
 * own codes, nobody gets a room they may not see, and the canary never waits.
 */
import { io as connectSocket, type Socket } from 'socket.io-client';
import { EVENTS } from '../../shared/index.js';
import { ALLOWED_ORIGIN, connectAttacker, mayJoin, USERS, type TenantEnv } from './tenant.js';
import { sleep, type ScenarioContext } from './report.js';

export async function floodScenario(ctx: ScenarioContext, env: TenantEnv): Promise<void> {
  const rng = ctx.rng.fork('floods');
  const codes = new Map<string, number>();
  const count = (code: string) => codes.set(code, (codes.get(code) ?? 0) + 1);

  // 1. Subscribe flood: 400 subscribes in flight at once, own rooms and tenant B's mixed.
  const mallory = await connectAttacker(ctx, env, 'mallory');
  const answers = await Promise.all(
    Array.from({ length: 400 }, (_, index) => {
      const room = rng.chance(0.5) ? `tenant:a:document:f${index}` : `tenant:b:document:${rng.int(1, 400)}`;
      return mallory.socket
        .timeout(10_000)
        .emitWithAck(EVENTS.subscribe, { room })
        .then((answer: any) => ({ room, answer }), () => ({ room, answer: { ok: false, error: { code: 'NO_ANSWER' } } }));
    }),
  );
  for (const { room, answer } of answers) {
    count(answer?.ok ? 'OK' : String(answer?.error?.code));
    if (answer?.ok && !mayJoin(USERS.mallory, room)) ctx.tally.unauthorizedJoin(`subscribe flood: mallory got ${room}`);
  }
  ctx.tally.tried('floods', answers.length);
  ctx.check(
    'floods: subscribe flood meets RATE_LIMITED / TOO_MANY_SUBSCRIPTIONS',
    (codes.get('RATE_LIMITED') ?? 0) + (codes.get('TOO_MANY_SUBSCRIPTIONS') ?? 0) > 0,
    JSON.stringify(Object.fromEntries(codes)),
  );
  mallory.close();

  // 2. Message flood: replays, unknown events, oversized payloads, without waiting; the server
  //    refuses them and closes the connection after too many breaches in a row.
  const trudy = await connectAttacker(ctx, env, 'trudy');
  let disconnected = false;
  trudy.socket.on('disconnect', () => (disconnected = true));
  const refusals = new Map<string, number>();
  const answered = (answer: any) => {
    const code = answer?.ok === true ? 'OK' : String(answer?.error?.code);
    refusals.set(code, (refusals.get(code) ?? 0) + 1);
    if (answer?.ok === true) ctx.tally.unauthorizedJoin(`message flood: trudy got ok ${JSON.stringify(answer).slice(0, 100)}`);
  };
  for (let index = 0; index < 400 && trudy.socket.connected; index++) {
    const kind = index % 4;
    if (kind === 0) trudy.socket.emit(EVENTS.replay, { room: 'tenant:b:document:secret', epoch: 'e', after: 0, to: 1_000 }, answered);
    else if (kind === 1) trudy.socket.emit(rng.pick(['noise', 'job:status', 'server:hello', 'room:revoked']), { room: 'tenant:b:document:secret' });
    else if (kind === 2) trudy.socket.emit(EVENTS.unsubscribe, { room: 'tenant:c:document:1', padding: 'x'.repeat(5_000) }, answered);
    else trudy.socket.emit(EVENTS.subscribe, { room: 'tenant:b:document:secret' }, answered);
    ctx.tally.tried('floods');
    if (index % 50 === 49) await sleep(5);
  }
  await sleep(500);
  const limited = (refusals.get('RATE_LIMITED') ?? 0) + (refusals.get('PAYLOAD_TOO_LARGE') ?? 0);
  ctx.check('floods: the message flood meets the rate and size limits', limited > 0 || disconnected, JSON.stringify(Object.fromEntries(refusals)));
  trudy.close();

  // 3. Connection flood: 30 connections of one user at once; the per-user limit refuses the rest.
  const outcomes = await Promise.all(
    Array.from({ length: 30 }, () =>
      new Promise<{ socket: Socket; outcome: string }>((resolve) => {
        const socket = connectSocket(env.url, { auth: { token: env.token('trudy'), protocol: 1 }, transports: ['websocket'], reconnection: false, forceNew: true, timeout: 10_000, extraHeaders: { origin: ALLOWED_ORIGIN } });
        ctx.scope.defer(() => socket.close());
        socket.once('connect', () => resolve({ socket, outcome: 'connected' }));
        socket.once('connect_error', (error: Error & { data?: { code?: string } }) => resolve({ socket, outcome: error.data?.code ?? error.message }));
      }),
    ),
  );
  const connected = outcomes.filter(({ outcome }) => outcome === 'connected').length;
  ctx.tally.tried('floods', outcomes.length);
  ctx.check('floods: connections past maxConnectionsPerUser are refused', connected <= 12, `${connected} of 30 connected`);
  for (const { socket } of outcomes) socket.close();

  // 4. Handshake flood with garbage tokens.
  const garbage = await Promise.all(
    Array.from({ length: 34 }, (_, index) =>
      new Promise<string>((resolve) => {
        const token = index % 2 ? 'x'.repeat(rng.int(1, 4_000)) : `${rng.int(0, 1e9)}.${rng.int(0, 1e9)}.${rng.int(0, 1e9)}`;
        const socket = connectSocket(env.url, { auth: { token, protocol: 1 }, transports: ['websocket'], reconnection: false, forceNew: true, timeout: 10_000 });
        ctx.scope.defer(() => socket.close());
        socket.once('connect', () => (socket.close(), resolve('connected')));
        socket.once('connect_error', () => (socket.close(), resolve('refused')));
      }),
    ),
  );
  for (const outcome of garbage) if (outcome === 'connected') ctx.tally.unauthorizedJoin('a garbage token connected during the handshake flood');
  ctx.tally.tried('floods', garbage.length);
}
