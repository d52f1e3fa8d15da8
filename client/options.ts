import type { ManagerOptions, SocketOptions } from 'socket.io-client';

/** What `getToken` may return: a token, nothing (anonymous), or a promise of either. */
export type TokenResult = string | null | undefined;

/** Options of {@link createJobcastClient}. Only `url` is required. */
export interface JobcastClientOptions {
  /** Where the jobcast server listens, for example `https://api.example.com`. */
  url: string;
  /** Socket.IO's HTTP path on that server. @default '/socket.io' */
  path?: string;
  /**
   * Called before every (re)connect so a refreshed token is used. Throw a
   * `JobcastClientError('UNAUTHENTICATED')` to stop retrying; any other throw is retried.
   */
  getToken?: () => TokenResult | Promise<TokenResult>;
  /** How long to wait for the server's answer to a subscribe, unsubscribe or replay. @default 5000 */
  ackTimeoutMs?: number;
  /**
   * Keep a room subscribed this long after its last handle is released, so a quick
   * release-then-acquire (React StrictMode) does not subscribe twice. @default 0
   */
  unsubscribeDelayMs?: number;
  /** First delay before reconnecting, and before retrying a subscribe. @default 500 */
  reconnectDelayMs?: number;
  /** Longest delay between reconnect (and subscribe retry) attempts. @default 10000 */
  reconnectDelayMaxMs?: number;
  /** How long a missing event may take to arrive out of order before a replay is requested. @default 250 */
  gapGraceMs?: number;
  /**
   * Time between heartbeats while connected: each proves the connection alive and compares the
   * rooms' cursors with the server's, so a dead connection or a missed event is found in seconds.
   * 0 turns heartbeats off. @default 2000
   */
  heartbeatIntervalMs?: number;
  /** How long a heartbeat's answer may take (with nothing else heard) before the connection is dropped and reopened. @default 2500 */
  heartbeatTimeoutMs?: number;
  /** React to the browser's `online`, `offline` and `visibilitychange` events (ignored where they do not exist). @default true */
  watchNetwork?: boolean;
  /** How many entries the event log keeps (0 turns it off). @default 500 */
  logSize?: number;
  /** Connect as soon as the client is created. @default true */
  autoConnect?: boolean;
  /** Extra socket.io-client options (transports, extraHeaders, …). jobcast sets auth, path and reconnection itself. */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
}

/** The defaults applied by {@link resolveClientOptions}; each matches its `@default` tag. */
export const clientDefaults = {
  ackTimeoutMs: 5_000,
  unsubscribeDelayMs: 0,
  reconnectDelayMs: 500,
  reconnectDelayMaxMs: 10_000,
  gapGraceMs: 250,
  heartbeatIntervalMs: 2_000,
  heartbeatTimeoutMs: 2_500,
  watchNetwork: true,
  logSize: 500,
  autoConnect: true,
} as const satisfies Partial<JobcastClientOptions>;

/** Options after defaults: every knob with a default is set. */
export type ResolvedClientOptions = Readonly<
  Omit<JobcastClientOptions, keyof typeof clientDefaults> & {
    [K in keyof typeof clientDefaults]-?: K extends 'autoConnect' | 'watchNetwork' ? boolean : number;
  }
>;

const DURATION_KEYS = [
  'ackTimeoutMs',
  'unsubscribeDelayMs',
  'reconnectDelayMs',
  'reconnectDelayMaxMs',
  'gapGraceMs',
  'heartbeatIntervalMs',
  'heartbeatTimeoutMs',
] as const;

/** Merges the defaults once, checks the numbers and freezes the result; throws a TypeError on bad input. */
export function resolveClientOptions(options: JobcastClientOptions): ResolvedClientOptions {
  if (typeof options?.url !== 'string' || options.url.length === 0) {
    throw new TypeError('jobcast: `url` must be a non-empty string');
  }
  // Spread the defaults under the options, but let an explicit `undefined` fall back to the default.
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const resolved = { ...clientDefaults, ...defined } as ResolvedClientOptions;
  for (const key of DURATION_KEYS) {
    const value = resolved[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new TypeError(`jobcast: \`${key}\` must be a finite number >= 0, got ${String(value)}`);
    }
  }
  if (!Number.isInteger(resolved.logSize) || resolved.logSize < 0) {
    throw new TypeError(`jobcast: \`logSize\` must be an integer >= 0, got ${String(resolved.logSize)}`);
  }
  if (resolved.getToken !== undefined && typeof resolved.getToken !== 'function') {
    throw new TypeError('jobcast: `getToken` must be a function');
  }
  return Object.freeze(resolved);
}
