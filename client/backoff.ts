/** How far a delay may stray from its nominal value, as socket.io's `randomizationFactor`. */
export const BACKOFF_JITTER = 0.5;

/**
 * Exponential backoff with jitter: `baseMs * 2^(attempt-1)`, capped at `maxMs`, then moved
 * by up to ±50 % so that many clients dropped at once do not retry in lockstep.
 *
 * @param attempt - 1 for the first retry.
 */
export function computeBackoffMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const nominal = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = nominal * (1 + (random() * 2 - 1) * BACKOFF_JITTER);
  return Math.max(0, Math.min(maxMs, Math.round(jittered)));
}
