/**
 * The broadcasts of one job that this page missed, out of its room's gap counters. The room
 * counts gaps for the whole document; the page shows a note per job, so each gap is given to
 * the jobs whose events filled it (replayed events carry their seq), or, for a gap repaired
 * by a fresh snapshot (no events to look at), to the jobs that were running when it happened.
 */
import { useEffect, useRef } from 'react';
import type { GapStats } from '../../client/index.js';
import { useJobcast } from '../../client/react/index.js';
import { jobKeyOf } from '../../shared/identity.js';
import type { JobStatus } from '../../shared/index.js';

/** What one job missed: events, and how they came back. */
export interface JobMisses {
  readonly missed: number;
  readonly replayed: number;
  readonly resynced: number;
  readonly pending: number;
}

/** How many seq → job entries a page remembers (a long session drops the oldest). */
const SEQS_KEPT = 5_000;

/** Counts the broadcasts `status`'s job missed in `room`; undefined when it missed none. */
export function useMissedForJob(room: string, status: JobStatus | undefined, gaps: GapStats): JobMisses | undefined {
  const client = useJobcast();
  const jobBySeq = useRef(new Map<number, string>());
  useEffect(() => {
    const seqs = jobBySeq.current;
    seqs.clear();
    // onEvent takes no hold on the room: the page's own useJobStatus holds it.
    return client.room(room).onEvent((event) => {
      seqs.set(event.seq, jobKeyOf(event.status));
      if (seqs.size > SEQS_KEPT) seqs.delete(seqs.keys().next().value as number);
    });
  }, [client, room]);
  if (!status || gaps.detected === 0) return undefined;
  const key = jobKeyOf(status);
  const misses = { missed: 0, replayed: 0, resynced: 0, pending: 0 };
  for (const range of gaps.ranges) {
    let mine = 0;
    for (let seq = range.from; seq <= range.to; seq++) if (jobBySeq.current.get(seq) === key) mine += 1;
    const running = range.at >= (status.enqueuedAt ?? status.updatedAt) && range.at <= (status.finishedAt ?? Number.POSITIVE_INFINITY);
    if (mine === 0 && range.outcome !== 'replayed' && running) mine = range.to - range.from + 1;
    if (mine === 0) continue;
    misses.missed += mine;
    misses[range.outcome] += 1;
  }
  return misses.missed > 0 ? misses : undefined;
}
