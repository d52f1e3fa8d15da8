import { PROTOCOL_VERSION } from '../../../shared/protocol.js';
import type { ClientDiagnostics } from '../../index.js';
import type { Diagnosis } from './diagnose.js';
import type { JobTimeline } from './jobTimelines.js';
import { redact } from './redact.js';

/**
 * The copied diagnostics are at most this many bytes (UTF-8 JSON, as copied): 64 KiB. A
 * bundle that would be larger keeps the newest log entries, connection transitions and jobs,
 * halving what it keeps until it fits, and says what it left out under `truncated`.
 */
export const DIAGNOSTICS_MAX_BYTES = 64 * 1024;

/** How much of each list a bundle keeps before the byte bound applies. */
const FULL_LIMITS = { log: 200, timeline: 60, rooms: 50, jobsPerRoom: 20, jobs: 20, entriesPerJob: 30, ranges: 20 } as const;
type Limits = { -readonly [K in keyof typeof FULL_LIMITS]: number };

/** What goes into a bug report: everything the panel shows, as plain JSON. */
export interface DiagnosticsBundleInput {
  readonly client: ClientDiagnostics;
  readonly timelines: readonly JobTimeline[];
  readonly lastCheck?: Diagnosis;
  readonly now: number;
  /** `location.href`; its query and fragment are dropped (they often carry tokens). */
  readonly pageUrl?: string;
  readonly userAgent?: string;
  /** @default DIAGNOSTICS_MAX_BYTES */
  readonly maxBytes?: number;
}

/** Drops the query string and fragment of a URL. */
const withoutSecrets = (url: string): string => url.replace(/[?#].*$/, '');
const newest = <T>(items: readonly T[], count: number): T[] => (count <= 0 ? [] : items.slice(-count));
const bytesOf = (text: string): number => new TextEncoder().encode(text).length;

/** The text the panel copies: the bundle as indented JSON. */
export const serializeDiagnosticsBundle = (bundle: Record<string, unknown>): string => JSON.stringify(bundle, null, 1);

function compose(input: DiagnosticsBundleInput, limits: Limits, maxBytes: number): Record<string, unknown> {
  const { client } = input;
  const jobs = input.timelines.slice(0, limits.jobs);
  const rooms = client.rooms.slice(0, limits.rooms);
  const kept = {
    log: `${Math.min(limits.log, client.log.length)} of ${client.log.length}`,
    jobs: `${jobs.length} of ${input.timelines.length}`,
    rooms: `${rooms.length} of ${client.rooms.length}`,
  };
  const truncated =
    limits.log < client.log.length || jobs.length < input.timelines.length || rooms.length < client.rooms.length || limits.entriesPerJob < FULL_LIMITS.entriesPerJob;
  return redact({
    kind: 'jobcast-diagnostics',
    bundleVersion: 2,
    protocol: PROTOCOL_VERSION,
    generatedAt: new Date(input.now).toISOString(),
    maxBytes,
    ...(truncated ? { truncated: { kept, note: 'newest first kept, to stay under maxBytes' } } : {}),
    page: {
      ...(input.pageUrl ? { url: withoutSecrets(input.pageUrl) } : {}),
      ...(input.userAgent ? { userAgent: input.userAgent } : {}),
    },
    connection: { ...client.connection, timeline: newest(client.connection.timeline, limits.timeline) },
    rooms: rooms.map(({ room, refCount, snapshot, counters }) => {
      const roomJobs = Object.entries(snapshot.jobs).sort(([, a], [, b]) => b.updatedAt - a.updatedAt);
      return {
        room,
        refCount,
        state: snapshot.state,
        error: snapshot.error,
        epoch: snapshot.epoch,
        seq: snapshot.seq,
        lastEventAt: snapshot.lastEventAt,
        gaps: { ...snapshot.gaps, ranges: newest(snapshot.gaps.ranges, limits.ranges) },
        counters,
        jobCount: roomJobs.length,
        jobs: Object.fromEntries(roomJobs.slice(0, limits.jobsPerRoom)),
      };
    }),
    log: newest(client.log, limits.log),
    jobs: jobs.map(({ jobId, queue, rooms: jobRooms, latest, entries }) => ({
      jobId,
      queue,
      rooms: jobRooms,
      latest,
      entryCount: entries.length,
      entries: newest(entries, limits.entriesPerJob),
    })),
    lastCheck: input.lastCheck,
  }) as Record<string, unknown>;
}

/**
 * Builds the diagnostics bundle the panel copies: connection and timeline, every held room
 * with its cursor, gaps and counters, the event log, job timelines and the last guided check.
 * It holds no credential: the client never exposes its token, and every string and key is
 * scrubbed of JWTs, bearer credentials and secret URL parameters anyway. Serialized with
 * {@link serializeDiagnosticsBundle}, it is at most `maxBytes` (default
 * {@link DIAGNOSTICS_MAX_BYTES}, 64 KiB).
 */
export function buildDiagnosticsBundle(input: DiagnosticsBundleInput): Record<string, unknown> {
  const maxBytes = input.maxBytes ?? DIAGNOSTICS_MAX_BYTES;
  const limits: Limits = { ...FULL_LIMITS };
  for (;;) {
    const bundle = compose(input, limits, maxBytes);
    if (bytesOf(serializeDiagnosticsBundle(bundle)) <= maxBytes) return bundle;
    if (Object.values(limits).every((value) => value === 0)) break;
    // Lists of events go first; the rooms themselves (state, cursor, error) last.
    const first = (Object.keys(limits) as Array<keyof Limits>).filter((key) => key !== 'rooms');
    const shrink = first.some((key) => limits[key] > 0) ? first : (['rooms'] as const);
    for (const key of shrink) limits[key] = Math.floor(limits[key] / 2);
  }
  // Even empty lists do not fit (a huge room list or check): the smallest honest answer.
  return { kind: 'jobcast-diagnostics', bundleVersion: 2, protocol: PROTOCOL_VERSION, generatedAt: new Date(input.now).toISOString(), maxBytes, truncated: { note: 'nothing fitted under maxBytes' } };
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
