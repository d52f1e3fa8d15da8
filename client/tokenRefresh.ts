import type { RefreshAck } from '../shared/index.js';
import { OneShotTimer } from './timer.js';
import { RefreshAckSchema } from './wireSchemas.js';

/** Refresh this long before expiry at most, and never later than 10 % of the remaining lifetime. */
const MAX_LEAD_MS = 60_000;
const MIN_LEAD_MS = 1_000;

/**
 * Keeps a live connection's credentials fresh: the server says when they expire (in its
 * hello and in each refresh answer); shortly before, this asks `getToken` for a new token
 * and sends it with `auth:refresh`, so subscriptions never lapse.
 */
export class TokenRefresher {
  readonly #timer = new OneShotTimer();

  constructor(
    private readonly deps: {
      getToken: () => Promise<string | null | undefined>;
      send: (token: string) => Promise<unknown>;
      /** A refresh was accepted: rooms revoked for an expired token can be subscribed again. */
      refreshed: () => void;
      log: (outcome: 'ok' | 'failed', detail: string) => void;
    },
  ) {}

  /** Plans the next refresh for credentials that expire at `expiresAt` (epoch ms). */
  schedule(expiresAt: number | undefined): void {
    this.#timer.cancel();
    if (expiresAt === undefined) return;
    const remaining = expiresAt - Date.now();
    const lead = Math.max(MIN_LEAD_MS, Math.min(MAX_LEAD_MS, remaining * 0.1));
    this.#timer.start(Math.max(0, remaining - lead), () => void this.refreshNow());
  }

  /** Fetches a token and sends it now; resolves once the server answered (or it failed). */
  async refreshNow(): Promise<boolean> {
    try {
      const token = await this.deps.getToken();
      if (typeof token !== 'string') throw new Error('getToken returned no token');
      const parsed = RefreshAckSchema.safeParse(await this.deps.send(token));
      if (!parsed.success) throw new Error('malformed refresh answer');
      const answer: RefreshAck = parsed.data;
      if (!answer.ok) throw new Error(`${answer.error.code}: ${answer.error.message}`);
      this.deps.log('ok', answer.expiresAt ? `valid until ${new Date(answer.expiresAt).toISOString()}` : 'accepted');
      this.schedule(answer.expiresAt);
      this.deps.refreshed();
      return true;
    } catch (error) {
      this.deps.log('failed', error instanceof Error ? error.message : String(error));
      return false;
    }
  }

  cancel(): void {
    this.#timer.cancel();
  }
}
