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

export { createRng, type Rng } from '../support/rng.js';
