import type { JobStatus, JobStep } from '../../../shared/index.js';

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

/** The percent in a progress value: a number, or the `percent` of a worker helper's progress object. */
export function progressPercent(progress: unknown): number | undefined {
  if (typeof progress === 'number' && Number.isFinite(progress)) return progress;
  if (typeof progress === 'object' && progress !== null && 'percent' in progress) {
    const percent = (progress as { percent?: unknown }).percent;
    if (typeof percent === 'number' && Number.isFinite(percent)) return percent;
  }
  return undefined;
}

/** The free-text line a worker put next to its progress (`data.detail`), when there is one. */
export function progressDetail(progress: unknown): string | undefined {
  if (typeof progress !== 'object' || progress === null) return undefined;
  const data = (progress as { data?: unknown }).data;
  const detail = typeof data === 'object' && data !== null ? (data as { detail?: unknown }).detail : undefined;
  return typeof detail === 'string' ? detail : undefined;
}

/** A step as one short phrase: 'summarize started (3/4)', 'fetch completed (1/4) in 850 ms'. */
export function formatStep(step: JobStep | undefined): string {
  if (!step) return '';
  const position = step.index !== undefined && step.total ? ` (${step.index + 1}/${step.total})` : '';
  const duration = step.durationMs !== undefined ? ` in ${formatDuration(step.durationMs)}` : '';
  return `${step.name} ${step.status}${position}${duration}`;
}

/**
 * A job's progress as a person reads it: '45 %', plus the step it is in when there is one
 * ('45 % · summarize (3/4)'). Progress the panel cannot read as a percent is named, not dumped.
 */
export function formatProgress(progress: unknown, step?: JobStep): string {
  const percent = progressPercent(progress);
  const parts: string[] = [];
  if (percent !== undefined) parts.push(`${Math.round(percent)} %`);
  if (step) parts.push(`${step.name}${step.index !== undefined && step.total ? ` (${step.index + 1}/${step.total})` : ''}`);
  if (parts.length === 0 && progress !== undefined && typeof progress === 'object') {
    const keys = Object.keys(progress as object).slice(0, 3);
    return keys.length ? `custom progress (${keys.join(', ')})` : '';
  }
  return parts.join(' · ');
}

/** {@link formatProgress} of a status. */
export const formatStatusProgress = (status: Pick<JobStatus, 'progress' | 'step'>): string => formatProgress(status.progress, status.step);

/** An id shortened for a narrow column: a UUID keeps its first 8 characters. */
export function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}

/** The median of some numbers, or undefined for none. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
