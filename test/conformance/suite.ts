/**
 * One seeded run of the conformance suite: build the world, play the planned rounds of
 * features and faults, wait for BullMQ to settle, then poll until every client shows the
 * truth (or a generous deadline passes) and compare.
 */
import { waitFor } from '../support/harness.js';
import { Checker, type Mismatch, type ViewsAtWipe } from './check.js';
import { injectFault } from './faults.js';
import type { Feature } from './features/feature.js';
import type { ClientName } from './rooms.js';
import { createRng } from './rng.js';
import { ALL_FEATURES, planWorkload } from './workload.js';
import { sleep, World } from './world.js';

export interface RunOptions {
  seed: number;
  /** About how many jobs to create. */
  jobs: number;
  faults: boolean;
  /** @default every feature */
  features?: readonly Feature[];
  /** @default chosen by the seed */
  nodes?: 1 | 2;
  /** JOBCAST_CANARY for the server nodes. */
  canary?: string;
  /** On a throwaway 3-master Redis Cluster of the run's own (BullMQ prefix `{bull}`) instead of one Redis. @default false */
  cluster?: boolean;
  /** How long the clients get to converge once BullMQ has settled. @default 120 s */
  convergenceTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface RunResult {
  seed: number;
  faults: boolean;
  nodes: number;
  /** The run was on a Redis Cluster. */
  cluster: boolean;
  jobs: number;
  features: string[];
  faultsInjected: string[];
  passed: number;
  /** Comparisons passed with an attempt one more than BullMQ's, said inferred by the status (see check.ts). */
  inferredOneMore: number;
  failed: number;
  misrouted: number;
  unattributed: number;
  lostTerminal: number;
  mismatches: Mismatch[];
  gaps: Record<string, { detected: number; replayed: number; resynced: number }>;
  convergedAfterMs: number | undefined;
  durationMs: number;
  journal: string[];
}

/** Worlds still running, so an interrupted script can stop their Redis and server processes. */
const openWorlds = new Set<World>();
export const closeOpenWorlds = () => Promise.all([...openWorlds].map((world) => world.close()));

export async function runSeed(options: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const rng = createRng(options.seed);
  const planRng = rng.fork('plan');
  const nodes = options.nodes ?? (planRng.chance(0.5) ? 2 : 1);
  const cluster = options.cluster === true;
  const world = new World({ seed: options.seed, nodes, canary: options.canary, cluster, log });
  openWorlds.add(world);
  const viewsAtWipe: ViewsAtWipe = new Map();
  const hooks = {
    beforeWipe: (at: number) => {
      const views = new Map<ClientName, ReturnType<ReturnType<World['client']>['view']>>();
      for (const [name, client] of world.clients) views.set(name, client.view());
      viewsAtWipe.set(at, views);
    },
  };
  const faultsInjected: string[] = [];
  try {
    await world.start();
    const available = (options.features ?? ALL_FEATURES).filter((feature) => {
      if (feature.needsRouteJob && !world.routeJob) {
        world.journal.push(`skipped feature "${feature.name}": routeJob is missing`);
        return false;
      }
      return true;
    });
    const rounds = planWorkload(planRng, { jobs: options.jobs, faults: options.faults, features: available });
    log(`seed ${options.seed}: ${nodes} node(s)${cluster ? ' on a Redis Cluster' : ''}, ${rounds.length} rounds, ${rounds.reduce((sum, round) => sum + round.invocations.length, 0)} feature runs, faults ${options.faults ? 'on' : 'off'}`);
    for (const name of ['steady', 'flaky'] as const) world.client(name).start();
    await waitFor(() => world.client('steady').allActive() && world.client('flaky').allActive(), 'steady and flaky clients subscribed', 60_000);

    for (const [index, round] of rounds.entries()) {
      if (round.lateClientJoins) world.client('late').start();
      const roundRng = rng.fork(`round:${index}`);
      const faults = (async () => {
        for (const { fault, delayMs } of [...round.during].sort((a, b) => a.delayMs - b.delayMs)) {
          await sleep(delayMs);
          await injectFault(world, fault, roundRng.fork(fault), hooks);
          faultsInjected.push(fault);
        }
      })();
      let next = 0;
      const lane = async () => {
        while (next < round.invocations.length) {
          const invocation = round.invocations[next++]!;
          try {
            await invocation.feature.run(world, rng.fork(invocation.label), invocation.size);
          } catch (error) {
            world.journal.push(`${invocation.label} threw: ${String(error).slice(0, 200)}`);
          }
        }
      };
      await Promise.all([faults, ...Array.from({ length: 6 }, lane)]);
      for (const fault of round.after) {
        await injectFault(world, fault, roundRng.fork(fault), hooks);
        faultsInjected.push(fault);
      }
      log(`round ${index + 1}/${rounds.length}: ${world.records.size} jobs so far${round.during.length + round.after.length ? `, faults: ${[...round.during.map((item) => item.fault), ...round.after].join(', ')}` : ''}`);
    }

    // BullMQ settles: nothing waiting, running or delayed but the parked jobs.
    const unsettled = await quiesce(world, 240_000);
    if (unsettled) world.journal.push(`BullMQ did not settle within 240 s (${unsettled}): comparing with its current states`);
    const checker = new Checker(world, viewsAtWipe);
    await checker.readTruth();
    const clients = [...world.clients.values()];
    const convergeStarted = Date.now();
    const deadline = convergeStarted + (options.convergenceTimeoutMs ?? 120_000);
    let pages = checker.comparePages(clients);
    while (pages.mismatches.length > 0 && Date.now() < deadline) {
      await sleep(1_000);
      await checker.refresh(pages.wrongRecords);
      pages = checker.comparePages(clients);
    }
    const convergedAfterMs = pages.mismatches.length === 0 ? Date.now() - convergeStarted : undefined;
    // CONFORMANCE_DUMP=1: what Redis holds for each job still wrong, to follow it in the nodes' logs.
    if (process.env.CONFORMANCE_DUMP) {
      for (const record of pages.wrongRecords) {
        const base = `${world.keyPrefix}:q:${record.queue}`;
        const [routes, pending, ingested, exists] = await Promise.all([
          world.admin.hgetall(`${base}:routes:${record.jobId}`),
          world.admin.sismember(`${base}:pending`, record.jobId),
          world.admin.hgetall(`${base}:job:${record.jobId}`),
          world.admin.exists(world.bullKey(record.queue, record.jobId)),
        ]);
        log(`dump ${record.queue}/${record.jobId} [${record.tag}] rooms ${record.rooms.join(',')}: routes ${JSON.stringify(routes)} pending ${pending} record ${JSON.stringify(ingested).slice(0, 400)} bullmq ${exists}`);
      }
    }
    const routing = checker.misrouted(clients);
    const mismatches = [...pages.mismatches, ...routing.mismatches];
    const jobs = [...world.records.values()].filter((record) => record.via !== 'scheduler').length;
    const gaps = Object.fromEntries(clients.map((client) => [client.name, client.gaps()]));
    for (const client of clients) for (const error of client.errors) world.journal.push(`${client.name} listener error: ${error}`);
    return {
      seed: options.seed,
      faults: options.faults,
      nodes,
      cluster,
      jobs,
      features: [...new Set([...world.records.values()].map((record) => record.feature))],
      faultsInjected,
      passed: pages.passed,
      inferredOneMore: pages.inferredOneMore,
      failed: pages.mismatches.length + routing.count + routing.unattributed + routing.revived,
      misrouted: routing.count,
      unattributed: routing.unattributed,
      lostTerminal: pages.mismatches.filter((mismatch) => mismatch.kind === 'lost terminal state').length,
      mismatches,
      gaps,
      convergedAfterMs,
      durationMs: Date.now() - started,
      journal: world.journal,
    };
  } finally {
    await world.close();
    openWorlds.delete(world);
  }
}

/** Waits until nothing is waiting, running or delayed but the parked jobs; undefined then, else what was still there per queue. */
async function quiesce(world: World, timeoutMs: number): Promise<string | undefined> {
  const parked = () => [...world.records.values()].filter((record) => record.parked && record.wipedAt === undefined && !record.removed).length;
  let left = '';
  try {
    await waitFor(
      async () => {
        let busy = 0;
        let delayed = 0;
        const counted: string[] = [];
        for (const name of Object.values(world.queues)) {
          const counts = await world.queue(name).getJobCounts('active', 'wait', 'prioritized', 'waiting-children', 'delayed');
          const queueBusy = (counts.active ?? 0) + (counts.wait ?? 0) + (counts.prioritized ?? 0) + (counts['waiting-children'] ?? 0);
          busy += queueBusy;
          delayed += counts.delayed ?? 0;
          if (queueBusy > 0) counted.push(`${name}: ${Object.entries(counts).filter(([, count]) => count > 0).map(([state, count]) => `${count} ${state}`).join(', ')}`);
        }
        left = `${counted.join('; ')}; delayed ${delayed}, parked ${parked()}`;
        return busy === 0 && delayed <= parked();
      },
      'BullMQ to settle',
      timeoutMs,
    );
    return undefined;
  } catch {
    return left;
  }
}
