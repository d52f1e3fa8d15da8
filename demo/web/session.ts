/**
 * A signed-in demo user: a jobcast token from the app's `POST /api/session`, a jobcast
 * client that connects with it, and a fetch helper for the app API. Switching users opens a
 * new session (a new client with the other token) and closes the old one.
 */
import { createJobcastClient, type JobcastClient } from '../../client/index.js';

export type DemoUser = 'alice' | 'bob';
export const DEMO_USERS: readonly DemoUser[] = ['alice', 'bob'];

/** An answer of the app API that was not OK: `{ error: { code, message } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface Issued {
  token: string;
  expiresAt: number;
}

async function signIn(user: DemoUser): Promise<Issued> {
  const response = await fetch('/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user }) });
  if (!response.ok) throw new ApiError(response.status, 'SIGN_IN_FAILED', `Could not sign in as ${user} (HTTP ${response.status}).`);
  return (await response.json()) as Issued;
}

export interface Session {
  readonly user: DemoUser;
  readonly client: JobcastClient;
  /** A valid token, renewed a minute before it expires. */
  token(): Promise<string>;
  /** Calls the app API as this user; throws ApiError on a refusal. */
  api<T>(path: string, init?: { method?: string; body?: unknown }): Promise<T>;
  close(): void;
}

export function openSession(user: DemoUser): Session {
  let issued: Issued | undefined;
  const fresh = async () => (issued = await signIn(user)).token;
  const token = async () => (issued && issued.expiresAt - Date.now() > 60_000 ? issued.token : fresh());
  const client = createJobcastClient({
    url: location.origin,
    // Called on every (re)connect and before the token expires, so a long-open page stays signed in.
    getToken: fresh,
    // React StrictMode mounts twice: hold a room a second after its last user leaves instead of resubscribing.
    unsubscribeDelayMs: 1_000,
  });

  const api = async <T>(path: string, init: { method?: string; body?: unknown } = {}, retried = false): Promise<T> => {
    const headers: Record<string, string> = { authorization: `Bearer ${await token()}` };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`/api${path}`, {
      method: init.method ?? 'GET',
      headers,
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    // The server restarted with a new signing key: sign in again once.
    if (response.status === 401 && !retried) {
      issued = undefined;
      return api<T>(path, init, true);
    }
    const body = (await response.json().catch(() => ({}))) as { error?: { code: string; message: string } };
    if (!response.ok) throw new ApiError(response.status, body.error?.code ?? `HTTP_${response.status}`, body.error?.message ?? response.statusText);
    return body as T;
  };

  return { user, client, token, api, close: () => client.close() };
}
