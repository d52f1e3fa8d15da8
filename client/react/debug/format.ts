/** A wall-clock time with milliseconds, for timelines: '14:03:07.215'. */
export function formatTime(at: number | undefined): string {
  if (at === undefined) return '—';
  const date = new Date(at);
  const pad = (value: number, size = 2) => String(value).padStart(size, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** A duration for humans: '850 ms', '12.5 s', '3 min'. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  if (Math.abs(ms) < 1_000) return `${Math.round(ms)} ms`;
  if (Math.abs(ms) < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  if (Math.abs(ms) < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** A job's progress in a few characters: '40%' or compact JSON. */
export function formatProgress(progress: unknown): string {
  if (progress === undefined) return '';
  if (typeof progress === 'number') return `${progress}%`;
  const text = JSON.stringify(progress);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

/** The median of some numbers, or undefined for none. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
