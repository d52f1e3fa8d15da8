/**
 * A seeded PRNG (mulberry32), so a failing hostile run can be replayed exactly:
 * `HOSTILE_SEED=<n> npm run test:hostile`. Without HOSTILE_SEED a fixed default is used.
 */
export const DEFAULT_SEED = 20261122;

export function seedFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.HOSTILE_SEED;
  if (raw === undefined || raw.trim() === '') return DEFAULT_SEED;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`HOSTILE_SEED must be an integer, got ${JSON.stringify(raw)}`);
  return seed;
}

export interface Rng {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(list: readonly T[]): T;
  chance(probability: number): boolean;
  /** An independent generator for one scenario, so scenarios do not shift each other's draws. */
  fork(label: string): Rng;
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const rng: Rng = {
    seed,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (list) => {
      if (list.length === 0) throw new Error('pick from an empty list');
      return list[Math.floor(next() * list.length)]!;
    },
    chance: (probability) => next() < probability,
    fork: (label) => {
      let hash = seed >>> 0;
      for (const char of label) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
      return createRng(hash);
    },
  };
  return rng;
}
