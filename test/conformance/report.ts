/** Prints a run's figures and its mismatches grouped by feature and kind. */
import type { RunResult } from './suite.js';

export function formatRun(result: RunResult, examplesPerGroup = 3): string {
  const lines: string[] = [];
  const gaps = Object.entries(result.gaps)
    .map(([name, gap]) => `${name} ${gap.detected}/${gap.replayed}/${gap.resynced}`)
    .join(', ');
  lines.push(
    `seed ${result.seed} (faults ${result.faults ? 'on' : 'off'}, ${result.nodes} node${result.nodes > 1 ? 's' : ''}${result.cluster ? ', Redis Cluster' : ''}): ${result.jobs} jobs, ${result.features.length} features, ` +
      `${result.passed} passed, ${result.failed} failed, misrouted ${result.misrouted}, lost terminal ${result.lostTerminal}, unattributed ${result.unattributed}, ` +
      `${result.convergedAfterMs === undefined ? 'not converged' : `converged in ${(result.convergedAfterMs / 1000).toFixed(1)} s`}, ${(result.durationMs / 1000).toFixed(0)} s`,
  );
  if (result.faultsInjected.length) lines.push(`  faults: ${summarize(result.faultsInjected)}`);
  if (result.inferredOneMore > 0) lines.push(`  passed with an inferred attempt one too high (a detour out of active read after the job was removed): ${result.inferredOneMore}`);
  lines.push(`  gaps detected/replayed/resynced: ${gaps}`);
  for (const entry of result.journal.filter((line) => !line.startsWith('fault:')).slice(0, 10)) lines.push(`  note: ${entry}`);
  const groups = new Map<string, { count: number; examples: string[] }>();
  for (const mismatch of result.mismatches) {
    const key = `${mismatch.feature} / ${mismatch.kind}`;
    const group = groups.get(key) ?? { count: 0, examples: [] };
    group.count += 1;
    if (group.examples.length < examplesPerGroup) group.examples.push(mismatch.detail);
    groups.set(key, group);
  }
  for (const [key, group] of [...groups].sort((a, b) => b[1].count - a[1].count)) {
    lines.push(`  ${group.count} × ${key}`);
    for (const example of group.examples) lines.push(`      ${example}`);
  }
  return lines.join('\n');
}

/** "a ×2, b" from a list with repeats. */
function summarize(items: string[]): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts].map(([item, count]) => (count > 1 ? `${item} ×${count}` : item)).join(', ');
}

/** Mismatches of several runs, by feature and kind. */
export function formatTotals(results: RunResult[]): string {
  const totals = new Map<string, number>();
  for (const result of results) for (const mismatch of result.mismatches) totals.set(`${mismatch.feature} / ${mismatch.kind}`, (totals.get(`${mismatch.feature} / ${mismatch.kind}`) ?? 0) + 1);
  const lines = ['mismatches by feature and kind, all runs:'];
  if (totals.size === 0) lines.push('  none');
  for (const [key, count] of [...totals].sort((a, b) => b[1] - a[1])) lines.push(`  ${String(count).padStart(6)}  ${key}`);
  return lines.join('\n');
}
