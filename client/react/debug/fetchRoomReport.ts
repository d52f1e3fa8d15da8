import * as z from 'zod/mini';
import { RoomDebugReportSchema } from '../../../shared/index.js';
import type { ServerReportResult } from './diagnose.js';

/** What the debug endpoint answers on a refusal: `{ error: { code, message } }`. */
const ErrorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** Returns the token for the debug endpoint, or nothing to call it anonymously. */
export type GetDebugToken = () => string | null | undefined | Promise<string | null | undefined>;

/** Options of {@link fetchRoomReport}. */
export interface FetchRoomReportOptions {
  /** Where the jobcast router is mounted, for example `https://api.example.com/jobcast`. */
  readonly debugUrl: string;
  readonly room: string;
  /** Narrows the report to one job: its events from the room's whole history, and (for debug users) BullMQ's record with the failure text. */
  readonly job?: { readonly jobId: string; readonly queue?: string };
  readonly getDebugToken?: GetDebugToken;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  readonly signal?: AbortSignal;
}

/** The URL of a room's debug report under `debugUrl`, narrowed to one job when given. */
export function roomReportUrl(debugUrl: string, room: string, job?: { readonly jobId: string; readonly queue?: string }): string {
  const base = `${debugUrl.replace(/\/+$/, '')}/debug/rooms/${encodeURIComponent(room)}`;
  if (!job) return base;
  const query = new URLSearchParams({ job: job.jobId, ...(job.queue ? { queue: job.queue } : {}) });
  return `${base}?${query.toString()}`;
}

/**
 * Asks the server what it knows about one room (`GET {debugUrl}/debug/rooms/:room`) and
 * validates the answer. Never throws: a refusal, a network failure or a malformed answer
 * comes back as `{ ok: false, error }`, which {@link diagnose} reports as an unknown hop.
 */
export async function fetchRoomReport(options: FetchRoomReportOptions): Promise<ServerReportResult> {
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== 'function') return { ok: false, error: { code: 'UNAVAILABLE', message: 'fetch is not available here' } };
  let response: Response;
  try {
    const token = await options.getDebugToken?.();
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    response = await doFetch(roomReportUrl(options.debugUrl, options.room, options.job), { headers, ...(options.signal ? { signal: options.signal } : {}) });
  } catch (error) {
    return { ok: false, error: { code: 'UNAVAILABLE', message: `request failed: ${error instanceof Error ? error.message : String(error)}` } };
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const refusal = ErrorBodySchema.safeParse(body);
    return refusal.success
      ? { ok: false, error: refusal.data.error }
      : { ok: false, error: { code: `HTTP_${response.status}`, message: response.statusText || 'the debug endpoint refused the request' } };
  }
  const parsed = RoomDebugReportSchema.safeParse(body);
  if (!parsed.success) return { ok: false, error: { code: 'BAD_RESPONSE', message: `the debug report does not match the protocol: ${z.prettifyError(parsed.error).slice(0, 300)}` } };
  return { ok: true, report: parsed.data };
}
