/**
 * The multi-tenant server the hostile inputs are thrown at: jobcast tokens (the user is the
 * token's claims, tenant in `sub` as `a:alice`), channel rules per tenant and per user, an
 * Origin allowlist, debug access for one operator, and limits. A canary of tenant A stays
 * subscribed throughout while a worker runs jobs; a victim of tenant B holds its own room.
 */
import type { Queue, Worker } from 'bullmq';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { createTokenIssuer, roomInScope, type TokenClaims, type TokenIssuer } from '../../server/index.js';
import { EVENTS, isValidRoomName, type StatusEvent } from '../../shared/index.js';
import { openQueue, request, startStack, startWorker, uniqueName, type TestStack } from '../support/harness.js';
import { observe, type Observer } from './observer.js';
import { describeError, sleep, type ScenarioContext } from './report.js';

export const SECRET = 'hostile-suite-secret-that-is-long-enough-for-hs256';
export const ALLOWED_ORIGIN = 'https://app.example';
export const CANARY_ROOM = 'tenant:a:document:canary';
export const SECRET_ROOM = 'tenant:b:document:secret';

export const tenantOf = (claims: { sub: string }) => claims.sub.split(':')[0] ?? '';

/** The oracle: may these claims see this room? (grammar, token scope, channel rule). */
export function mayJoin(claims: { sub: string; rooms: readonly string[] }, room: unknown): boolean {
  if (!isValidRoomName(room) || !roomInScope(room, claims.rooms)) return false;
  const parts = room.split(':');
  if (parts.length !== 4 || parts[0] !== 'tenant') return false;
  if (parts[2] === 'document') return parts[1] === tenantOf(claims);
  if (parts[2] === 'user') return claims.sub === `${parts[1]}:${parts[3]}`;
  return false;
}

export const USERS = {
  canary: { sub: 'a:canary', rooms: ['tenant:a:document:*'] },
  alice: { sub: 'a:alice', rooms: ['tenant:a:*:*'] },
  bob: { sub: 'b:bob', rooms: ['tenant:b:document:*', 'tenant:b:user:bob'] },
  /** Same tenant as alice, a scope that names every tenant: only the channel rules stop her. */
  mallory: { sub: 'a:mallory', rooms: ['tenant:*:*:*'] },
  /** A narrow token: only the scope stops her from the rest of her own tenant. */
  eve: { sub: 'a:eve', rooms: ['tenant:a:document:eve'] },
  /** A tenant with no data at all. */
  trudy: { sub: 'c:trudy', rooms: ['tenant:*:*:*'] },
} as const;
export type UserName = keyof typeof USERS;

export interface TenantEnv {
  stack: TestStack;
  url: string;
  tokens: TokenIssuer;
  queue: Queue;
  worker: Worker;
  canary: Observer;
  victim: Socket;
  victimEvents: StatusEvent[];
  jobIds: string[];
  token(user: UserName, extra?: { ttlMs?: number; debug?: boolean }): string;
  /** Starts enqueuing a job every ~250 ms to tenant A's canary room and tenant B's rooms. */
  startPump(): void;
  stopPump(): Promise<void>;
  health(after: string): Promise<void>;
}

export async function startTenantEnv(ctx: ScenarioContext): Promise<TenantEnv> {
  const tokens = createTokenIssuer({ secret: SECRET, clockToleranceMs: 0 });
  const queueName = uniqueName('hostile');
  const claimsOf = (user: unknown) => user as TokenClaims;
  const stack = await startStack({
    queues: [queueName],
    redisUrl: ctx.redisUrl,
    authenticate: undefined,
    tokens,
    allowedOrigins: [ALLOWED_ORIGIN],
    channels: {
      'tenant:{t}:document:{id}': (user, { t }) => tenantOf(claimsOf(user)) === t,
      'tenant:{t}:user:{uid}': (user, { t, uid }) => claimsOf(user).sub === `${t}:${uid}`,
    },
    canDebug: (user) => claimsOf(user).debug === true && claimsOf(user).sub === 'ops:root',
    maxConnectionsPerUser: 12,
    // Generous enough that the fuzz tests authorization, not the rate limit; the floods go past it.
    limits: { subscribeRate: 300, subscribeBurst: 150, messageRate: 600, messageBurst: 300, maxSubscriptions: 100 },
  });
  ctx.scope.defer(() => stack.close());
  const queue = openQueue(queueName, ctx.redisUrl);
  queue.on('error', () => undefined);
  ctx.scope.defer(() => queue.close());
  const worker = startWorker(
    queueName,
    async (job) => {
      await job.updateProgress(30);
      await sleep(20);
      await job.updateProgress(80);
      return 'ok';
    },
    ctx.redisUrl,
  );
  ctx.scope.defer(() => worker.close(true));

  const token: TenantEnv['token'] = (user, extra = {}) =>
    tokens.issue({ sub: USERS[user].sub, rooms: [...USERS[user].rooms], ...(extra.ttlMs ? { ttlMs: extra.ttlMs } : {}), ...(extra.debug ? { debug: true } : {}) });

  const canary = observe(ctx.scope, { url: stack.url, room: CANARY_ROOM, getToken: () => token('canary'), label: 'canary', origin: ALLOWED_ORIGIN });
  await canary.ready();
  const victim = connectSocket(stack.url, {
    auth: { token: token('bob'), protocol: 1 },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders: { origin: ALLOWED_ORIGIN },
  });
  ctx.scope.defer(() => victim.close());
  const victimEvents: StatusEvent[] = [];
  victim.on(EVENTS.status, (event: StatusEvent) => victimEvents.push(event));
  await new Promise<void>((resolve, reject) => {
    victim.once('connect', resolve);
    victim.once('connect_error', reject);
  });
  const ack = await request(victim, EVENTS.subscribe, { room: SECRET_ROOM });
  if (!ack.ok) throw new Error(`the victim could not subscribe to its own room: ${JSON.stringify(ack)}`);

  const jobIds: string[] = [];
  let pumping: Promise<void> | undefined;
  let stop = false;
  const pumpRng = ctx.rng.fork('pump');
  const startPump = () => {
    stop = false;
    pumping ??= (async () => {
      while (!stop && jobIds.length < 400) {
        const rooms = [CANARY_ROOM, SECRET_ROOM, 'tenant:a:user:alice', `tenant:b:document:${pumpRng.int(1, 5)}`, 'tenant:b:user:bob'];
        const job = await stack.server.enqueue(queueName, 'canary', {}, { rooms }).catch((error: unknown) => {
          ctx.tally.note(`pump: enqueue failed: ${describeError(error)}`);
          return undefined;
        });
        if (job) jobIds.push(job.jobId);
        await sleep(250);
      }
    })();
  };
  const stopPump = async () => {
    stop = true;
    await pumping;
    pumping = undefined;
  };

  const health = async (after: string) => {
    const response = await fetch(`${stack.url}/jobcast/health`).catch((error: unknown) => describeError(error));
    if (typeof response === 'string' || response.status !== 200) {
      ctx.tally.crash(`GET /jobcast/health after ${after}: ${typeof response === 'string' ? response : response.status}`);
    }
    const state = canary.client.connection.getSnapshot().state;
    if (state !== 'connected') ctx.tally.crash(`the canary is ${state} after ${after}`);
  };

  return { stack, url: stack.url, tokens, queue, worker, canary, victim, victimEvents, jobIds, token, startPump, stopPump, health };
}

/** A raw Socket.IO client of one user: counts frames of rooms it may not see, and joins it should not have. */
export interface Attacker {
  socket: Socket;
  user: UserName;
  /** Emits with an ack (retrying RATE_LIMITED a few times); judges subscribe and replay answers. */
  ask(event: string, payload: unknown, options?: { retries?: number }): Promise<any>;
  close(): void;
}

export async function connectAttacker(ctx: ScenarioContext, env: TenantEnv, user: UserName, token = env.token(user)): Promise<Attacker> {
  const claims = USERS[user];
  const socket = connectSocket(env.url, {
    auth: { token, protocol: 1 },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders: { origin: ALLOWED_ORIGIN },
  });
  ctx.scope.defer(() => socket.close());
  socket.on(EVENTS.status, (event: StatusEvent) => {
    if (!mayJoin(claims, event?.room)) ctx.tally.crossTenantFrame(`${claims.sub} received job:status of ${String(event?.room).slice(0, 80)} (seq ${event?.seq})`);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const ask: Attacker['ask'] = async (event, payload, options = {}) => {
    let answer: any;
    for (let attempt = 0; attempt <= (options.retries ?? 4); attempt++) {
      answer = await request(socket, event, payload, 5_000).catch((error: unknown) => ({ ok: false, error: { code: 'NO_ANSWER', message: describeError(error) } }));
      if (answer?.error?.code !== 'RATE_LIMITED') break;
      await sleep(120);
    }
    const room = (payload as { room?: unknown } | null)?.room;
    if (answer?.ok === true && (event === EVENTS.subscribe || event === EVENTS.replay)) {
      if (!mayJoin(claims, room) || (answer.room !== undefined && !mayJoin(claims, answer.room))) {
        ctx.tally.unauthorizedJoin(`${claims.sub}: ${event} ${JSON.stringify(room)?.slice(0, 120)} answered ok`);
      }
    }
    return answer;
  };
  return { socket, user, ask, close: () => socket.close() };
}
