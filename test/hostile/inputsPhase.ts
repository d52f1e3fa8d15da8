/**
 * The hostile-input phase: one multi-tenant server, a canary subscribed throughout while
 * jobs run, and each kind of attack in turn. At the end the canary must have every event
 * (contiguous, every job terminal), the victim must still be served, and health must be up.
 */
import { badOriginScenario, idorScenario, roomFuzzScenario } from './inputs.js';
import { converge } from './converge.js';
import { floodScenario } from './floods.js';
import { malformedFramesScenario } from './rawFrames.js';
import { CANARY_ROOM, startTenantEnv, type TenantEnv } from './tenant.js';
import { tokenScenario } from './tokens.js';
import { serverCursor } from './faultKit.js';
import { describeError, Scope, withTimeout, type ScenarioContext } from './report.js';

type Step = [name: string, timeoutMs: number, run: (ctx: ScenarioContext, env: TenantEnv) => Promise<void>];

const STEPS: Step[] = [
  ['IDOR (other tenants\' rooms by subscribe, replay and HTTP)', 45_000, idorScenario],
  ['room-name fuzz', 60_000, (ctx, env) => roomFuzzScenario(ctx, env, 400)],
  ['malformed frames (advisory shapes)', 60_000, malformedFramesScenario],
  ['bad Origins', 45_000, badOriginScenario],
  ['tokens (expired, forged, revoked)', 45_000, tokenScenario],
  ['floods (subscriptions, messages, connections)', 45_000, floodScenario],
];

export async function hostileInputsPhase(base: ScenarioContext): Promise<void> {
  const envScope = new Scope();
  base.scope.defer(() => envScope.close()); // so a phase that times out is still cleaned up by the run
  try {
    const env = await withTimeout(startTenantEnv({ ...base, scope: envScope }), 60_000, 'the tenant server');
    env.startPump();
    for (const [name, timeoutMs, run] of STEPS) {
      const scope = new Scope();
      base.scope.defer(() => scope.close());
      const ctx: ScenarioContext = { ...base, scope, rng: base.rng.fork(name) };
      const before = snapshotCounts(base);
      try {
        await withTimeout(run(ctx, env), timeoutMs, name);
        await env.health(name);
        const after = snapshotCounts(base);
        ctx.check(name, after === before, after === before ? undefined : `bad counts went up (${before} → ${after}); see evidence`);
      } catch (error) {
        ctx.check(name, false, describeError(error));
      } finally {
        await scope.close();
      }
    }
    await env.stopPump();
    await verifyCanary(base, env);
  } finally {
    await envScope.close();
  }
}

/** crashes/unauthorized joins/cross-tenant frames as one comparable string. */
const snapshotCounts = ({ tally }: ScenarioContext) => `${tally.crashes}/${tally.unauthorizedJoins}/${tally.crossTenantFrames}`;

async function verifyCanary(ctx: ScenarioContext, env: TenantEnv): Promise<void> {
  const crashesBefore = ctx.tally.crashes;
  const converged = await converge(ctx, {
    label: 'canary (hostile inputs)',
    observers: [env.canary],
    queue: env.queue,
    jobIds: env.jobIds,
    since: Date.now(),
    timeoutMs: 30_000,
    countConvergence: false,
    serverCursor: serverCursor(() => env.url, env.token('canary')),
  });
  const { gaps } = env.canary.handle.getSnapshot();
  const drops = env.canary.client.connection.getSnapshot().timeline.filter((entry) => entry.state === 'reconnecting' || entry.state === 'disconnected');
  if (converged === undefined) ctx.tally.crash('the canary did not end with every job terminal');
  if (drops.length > 0) ctx.tally.crash(`the canary lost its connection ${drops.length} time(s): ${drops.map((entry) => entry.reason).join(', ')}`);
  if (gaps.detected > 0) ctx.tally.crash(`the canary saw ${gaps.detected} gap(s) while under attack`);
  const seqs = env.canary.delivered.map((event) => event.seq);
  const contiguous = seqs.every((seq, index) => seq === index + 1);
  if (!contiguous) ctx.tally.crash(`the canary's events are not contiguous from seq 1 (${seqs.length} events, last ${seqs.at(-1)})`);
  await env.health('the whole hostile-input phase');
  ctx.check(
    `canary: ${env.jobIds.length} jobs, ${seqs.length} events, contiguous, every job terminal, never disconnected`,
    ctx.tally.crashes === crashesBefore,
    'see crashes in the evidence',
  );
  ctx.check(
    'victim of tenant B still served while attacked (its rooms had live events)',
    env.victim.connected && env.victimEvents.length > 0,
    `connected=${env.victim.connected}, events=${env.victimEvents.length}`,
  );
}
