import type { JobStep } from '../../../shared/index.js';
import type { LogEntry } from '../../index.js';
import { formatProgress, progressPercent } from './format.js';
import type { JobTimeline } from './jobTimelines.js';

/** What the job timelines know about one status event: its progress and step. */
export interface EventProgress {
  readonly progress?: unknown;
  readonly step?: JobStep;
}

/** Finds the progress and step of a logged status event, by room and seq. */
export type ProgressLookup = (entry: LogEntry) => EventProgress | undefined;

/** Consecutive log entries that say the same thing, shown as one row. */
export interface LogGroup {
  /** Stable across renders: the id of the oldest entry of the group. */
  readonly key: number;
  /** Newest first, like the rows. */
  readonly entries: readonly LogEntry[];
  readonly newest: LogEntry;
  readonly oldest: LogEntry;
  readonly count: number;
  /** '41..70', or the one seq, or '' when the entries carry none. */
  readonly seqs: string;
  /** '12 % → 88 % · summarize (3/4)': where the progress went over the group. */
  readonly progress: string;
}

const sameMessage = (a: LogEntry, b: LogEntry): boolean =>
  a.kind === b.kind && a.room === b.room && a.jobId === b.jobId && a.code === b.code && a.message === b.message && a.detail === b.detail;

/** The index of (room, seq) → progress and step, from the panel's job timelines. */
export function progressLookup(timelines: readonly JobTimeline[]): ProgressLookup {
  const bySeq = new Map<string, EventProgress>();
  for (const timeline of timelines) {
    for (const entry of timeline.entries) {
      if (entry.seq !== undefined) bySeq.set(`${entry.room}\n${entry.seq}`, { progress: entry.progress, ...(entry.step ? { step: entry.step } : {}) });
    }
  }
  return (entry) => (entry.room !== undefined && entry.seq !== undefined ? bySeq.get(`${entry.room}\n${entry.seq}`) : undefined);
}

/**
 * Groups runs of entries that say the same thing (same kind, room, job, code, message and
 * detail: thirty "progress → active" of one job become one row of thirty), keeping the order.
 * `entries` are newest first, as the log shows them.
 */
export function groupLogEntries(entries: readonly LogEntry[], lookup: ProgressLookup = () => undefined): LogGroup[] {
  const runs: LogEntry[][] = [];
  for (const entry of entries) {
    const run = runs.at(-1);
    if (run && sameMessage(run[0]!, entry)) run.push(entry);
    else runs.push([entry]);
  }
  return runs.map((run) => {
    const newest = run[0]!;
    const oldest = run.at(-1)!;
    return { key: oldest.id, entries: run, newest, oldest, count: run.length, seqs: seqRange(run), progress: progressOver(run, lookup) };
  });
}

function seqRange(run: readonly LogEntry[]): string {
  const seqs = run.flatMap((entry) => (entry.seq === undefined ? [] : [entry.seq]));
  if (seqs.length === 0) return '';
  const low = Math.min(...seqs);
  const high = Math.max(...seqs);
  return low === high ? String(low) : `${low}..${high}`;
}

/** '12 % → 88 % · summarize (3/4)' over a run (newest first), or the one value of a single entry. */
function progressOver(run: readonly LogEntry[], lookup: ProgressLookup): string {
  const known = run.flatMap((entry) => {
    const found = lookup(entry);
    return found ? [found] : [];
  });
  const newest = known[0];
  if (!newest) return '';
  const latest = formatProgress(newest.progress, newest.step);
  // The oldest percent reported in the run (a step's first report may carry only its detail line).
  const from = [...known].reverse().map((found) => progressPercent(found.progress)).find((percent) => percent !== undefined);
  const to = progressPercent(newest.progress);
  if (known.length > 1 && from !== undefined && to !== undefined && Math.round(from) !== Math.round(to)) {
    return `${Math.round(from)} % → ${latest}`;
  }
  return latest;
}
