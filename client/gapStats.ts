import type { Cursor, SubscribeOk } from '../shared/index.js';
import type { SeqRange } from './roomState.js';

/** How a gap ended: still being repaired, filled by a replay, or given up for a fresh snapshot. */
export type GapOutcome = 'pending' | 'replayed' | 'resynced';

/** One gap a room saw, for the debug panel. */
export interface GapRange extends SeqRange {
  /** When the gap was counted (epoch ms). */
  readonly at: number;
  readonly outcome: GapOutcome;
  /** Why it was resynced, when it was ('epoch-changed', 'history-exceeded', …). */
  readonly reason?: string;
}

/**
 * A room's gap counters. `detected` counts every gap, so it equals
 * `replayed + resynced` plus the ranges still 'pending'.
 */
export interface GapStats {
  readonly detected: number;
  readonly replayed: number;
  readonly resynced: number;
  /** The last {@link GAP_RANGES_KEPT} ranges, oldest first. Resyncs without a known range have none. */
  readonly ranges: readonly GapRange[];
}

/** How many ranges a room keeps; the counters keep counting past it. */
export const GAP_RANGES_KEPT = 50;

/** Counters of a room that has seen no gap. */
export const EMPTY_GAP_STATS: GapStats = Object.freeze({ detected: 0, replayed: 0, resynced: 0, ranges: Object.freeze([]) });

const bump = (stats: GapStats, outcome: GapOutcome, by = 1): Pick<GapStats, 'replayed' | 'resynced'> => ({
  replayed: stats.replayed + (outcome === 'replayed' ? by : 0),
  resynced: stats.resynced + (outcome === 'resynced' ? by : 0),
});

/** Counts a new gap; `range` is undefined when no sequence range applies (an epoch change). */
export function recordGap(
  stats: GapStats,
  range: SeqRange | undefined,
  outcome: GapOutcome,
  at: number,
  reason?: string,
): GapStats {
  const ranges =
    range === undefined
      ? stats.ranges
      : [...stats.ranges, { from: range.from, to: range.to, at, outcome, ...(reason === undefined ? {} : { reason }) }].slice(
          -GAP_RANGES_KEPT,
        );
  return { detected: stats.detected + 1, ...bump(stats, outcome), ranges };
}

/** Ends every 'pending' range with `outcome`; returns the same object when none was pending. */
export function resolvePendingGaps(
  stats: GapStats,
  outcome: Exclude<GapOutcome, 'pending'>,
  reason?: string,
): { stats: GapStats; resolved: number } {
  const resolved = stats.ranges.filter((range) => range.outcome === 'pending').length;
  if (resolved === 0) return { stats, resolved };
  const ranges = stats.ranges.map((range) =>
    range.outcome === 'pending' ? { ...range, outcome, ...(reason === undefined ? {} : { reason }) } : range,
  );
  return { stats: { detected: stats.detected, ...bump(stats, outcome, resolved), ranges }, resolved };
}

/** What a resubscribe that sent a cursor recovered, for {@link countResubscribe}. */
export interface ResubscribeInput {
  readonly since: Cursor;
  /** The highest seq seen (applied or buffered) when the resubscribe was sent. */
  readonly highestBefore: number;
  readonly ack: SubscribeOk;
  readonly at: number;
}

/**
 * Counts a resubscribe with a cursor: a replay of missed events is a replayed gap, a snapshot
 * instead of a replay is a resync; gaps still pending from before the disconnect end the same way.
 * `outcome` is undefined when nothing was missed.
 */
export function countResubscribe(
  stats: GapStats,
  { since, highestBefore, ack, at }: ResubscribeInput,
): { stats: GapStats; outcome?: Exclude<GapOutcome, 'pending'>; reason?: string } {
  const sameEpoch = since.epoch === ack.epoch;
  // Events above the highest one seen were missed while away; holes below it are already pending ranges.
  const range = sameEpoch && ack.seq > highestBefore ? { from: highestBefore + 1, to: ack.seq } : undefined;
  const outcome = ack.mode === 'replay' ? 'replayed' : 'resynced';
  const reason = outcome === 'resynced' ? (ack.resync ?? (sameEpoch ? 'snapshot' : 'epoch-changed')) : undefined;
  const resolved = resolvePendingGaps(stats, outcome, reason);
  // A snapshot the server flags as a resync, or from another epoch, lost events even when no range is known.
  const lost = outcome === 'resynced' && (ack.resync !== undefined || !sameEpoch);
  if (range !== undefined || (lost && resolved.resolved === 0)) {
    return { stats: recordGap(resolved.stats, range, outcome, at, reason), outcome, reason };
  }
  return resolved.resolved > 0 ? { stats: resolved.stats, outcome, reason } : { stats };
}
