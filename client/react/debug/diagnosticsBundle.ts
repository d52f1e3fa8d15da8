import { PROTOCOL_VERSION } from '../../../shared/index.js';
import type { ClientDiagnostics } from '../../index.js';
import type { Diagnosis } from './diagnose.js';
import type { JobTimeline } from './jobTimelines.js';

/** What goes into a bug report: everything the panel shows, as plain JSON. */
export interface DiagnosticsBundleInput {
  readonly client: ClientDiagnostics;
  readonly timelines: readonly JobTimeline[];
  readonly lastCheck?: Diagnosis;
  readonly now: number;
  /** `location.href`; its query and fragment are dropped (they often carry tokens). */
  readonly pageUrl?: string;
  readonly userAgent?: string;
}

/** Drops the query string and fragment of a URL. */
const withoutSecrets = (url: string): string => url.replace(/[?#].*$/, '');

/**
 * Builds the diagnostics bundle the panel copies: connection and timeline, every held room
 * with its cursor, gaps and counters, the event log, job timelines and the last guided check.
 * It holds no token: the client never exposes one.
 */
export function buildDiagnosticsBundle(input: DiagnosticsBundleInput): Record<string, unknown> {
  const { client } = input;
  return {
    kind: 'jobcast-diagnostics',
    bundleVersion: 1,
    protocol: PROTOCOL_VERSION,
    generatedAt: new Date(input.now).toISOString(),
    page: {
      ...(input.pageUrl ? { url: withoutSecrets(input.pageUrl) } : {}),
      ...(input.userAgent ? { userAgent: input.userAgent } : {}),
    },
    connection: client.connection,
    rooms: client.rooms.map(({ room, refCount, snapshot, counters }) => ({
      room,
      refCount,
      state: snapshot.state,
      error: snapshot.error,
      epoch: snapshot.epoch,
      seq: snapshot.seq,
      lastEventAt: snapshot.lastEventAt,
      gaps: snapshot.gaps,
      counters,
      jobs: snapshot.jobs,
    })),
    log: client.log,
    jobs: input.timelines.map(({ jobId, queue, rooms, latest, entries }) => ({ jobId, queue, rooms, latest, entries })),
    lastCheck: input.lastCheck,
  };
}

/** Copies text to the clipboard; false when the page may not (insecure origin, denied permission). */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (typeof navigator !== 'undefined' && navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Fall through to the selection-based copy below.
  }
  if (typeof document === 'undefined') return false;
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  try {
    return typeof document.execCommand === 'function' && document.execCommand('copy');
  } catch {
    return false;
  } finally {
    area.remove();
  }
}
