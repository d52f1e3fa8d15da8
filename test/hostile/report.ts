/**
 * What the hostile suite counts, the checks it prints, and the scopes that make sure every
 * server, process, socket and Redis a scenario started is stopped, even when it fails.
 */
import type { Rng } from './random.js';

export const INPUT_KINDS = ['IDOR', 'room fuzz', 'malformed frames', 'bad origins', 'tokens', 'floods'] as const;
export type InputKind = (typeof INPUT_KINDS)[number];
export const FAULT_KINDS = [
  'client drops',
  'node killed',
  'redis restart (no persistence)',
  'redis restart (appendonly)',
  'stream trimmed',
  'worker crashed',
  'slow consumer',
  'slow redis link',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export class Tally {
  readonly inputs = Object.fromEntries(INPUT_KINDS.map((kind) => [kind, 0])) as Record<InputKind, number>;
  readonly faults = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>;
  crashes = 0;
  unauthorizedJoins = 0;
  crossTenantFrames = 0;
  lostTerminalStates = 0;
  silentGaps = 0;
  visibleDuplicates = 0;
  longestConvergenceMs = 0;
  /** Why each bad count went up, printed under the summary (bounded). */
  readonly evidence: string[] = [];

  tried(kind: InputKind, count = 1): void {
    this.inputs[kind] += count;
  }

  note(line: string): void {
    if (this.evidence.length < 60) this.evidence.push(line.length > 400 ? `${line.slice(0, 400)}…` : line);
  }

  crash(why: string): void {
    this.crashes += 1;
    this.note(`crash: ${why}`);
  }

  unauthorizedJoin(why: string): void {
    this.unauthorizedJoins += 1;
    this.note(`unauthorized join: ${why}`);
  }

  crossTenantFrame(why: string): void {
    this.crossTenantFrames += 1;
    this.note(`cross-tenant frame: ${why}`);
  }

  converged(ms: number): void {
    this.longestConvergenceMs = Math.max(this.longestConvergenceMs, ms);
  }
}

export interface Check {
  name: string;
  ok: boolean;
  why?: string;
}

/** Cleanups of one scenario (or of the run), run newest first, each bounded in time. */
export class Scope {
  readonly #cleanups: Array<() => unknown> = [];

  defer(cleanup: () => unknown): void {
    this.#cleanups.push(cleanup);
  }

  async close(): Promise<void> {
    while (this.#cleanups.length > 0) {
      const cleanup = this.#cleanups.pop()!;
      await withTimeout(Promise.resolve().then(cleanup), 15_000, 'cleanup').catch(() => undefined);
    }
  }
}

export interface ScenarioContext {
  scope: Scope;
  rng: Rng;
  tally: Tally;
  redisUrl: string;
  /** Records one pass/fail line; a failure fails the run. */
  check(name: string, ok: boolean, why?: string): void;
  log(line: string): void;
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const describeError = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 300);
