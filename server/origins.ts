import type { IncomingMessage, ServerResponse } from 'node:http';

/** Page origins allowed to connect and to call the router: a list, or a predicate. */
export type AllowedOrigins = readonly string[] | ((origin: string) => boolean);

/** The message of a refused Engine.IO handshake: the client reads it from the 403 JSON body `{ code: 4, message }`. */
export const ORIGIN_REFUSAL = 'ORIGIN_NOT_ALLOWED';

/** How long a browser may cache a preflight answer. */
const PREFLIGHT_MAX_AGE_S = 600;

/**
 * One Origin allowlist for everything a page talks to: the Engine.IO handshake (`allowRequest`),
 * Socket.IO's HTTP long-polling and the express router (CORS, with preflight). The same list
 * admits a WebSocket and lets a page read a polling response, so the two never disagree.
 */
export interface OriginPolicy {
  /** True when a request with this Origin may go on. No Origin (not a browser) always may. */
  allows(origin: string | undefined): boolean;
  /**
   * Connect-style middleware: CORS headers for an allowed Origin, and a 204 answer to its
   * preflight. A disallowed Origin gets no CORS headers: the browser keeps the response from the page.
   */
  cors(request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void): void;
  /**
   * Lets the refused page read the refusal itself (a constant `{ code, message }` body, no data),
   * so its client can report ORIGIN_NOT_ALLOWED instead of a network error.
   */
  exposeRefusal(request: IncomingMessage): void;
}

export function createOriginPolicy(allowed: AllowedOrigins): OriginPolicy {
  const list = typeof allowed === 'function' ? undefined : new Set(allowed);
  const predicate = typeof allowed === 'function' ? allowed : undefined;
  const allows = (origin: string | undefined) => origin === undefined || (list ? list.has(origin) : predicate!(origin));
  return {
    allows,
    cors(request, response, next) {
      const origin = request.headers.origin;
      if (origin === undefined || !allows(origin)) return next();
      response.setHeader('Access-Control-Allow-Origin', origin);
      response.setHeader('Access-Control-Allow-Credentials', 'true');
      appendVary(response, 'Origin');
      if (request.method !== 'OPTIONS' || request.headers['access-control-request-method'] === undefined) return next();
      response.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
      // Socket.IO may send extraHeaders, the router needs Authorization: echo what the page asks for.
      const asked = request.headers['access-control-request-headers'];
      response.setHeader('Access-Control-Allow-Headers', typeof asked === 'string' && asked.length < 1_000 ? asked : 'Authorization, Content-Type');
      response.setHeader('Access-Control-Max-Age', String(PREFLIGHT_MAX_AGE_S));
      appendVary(response, 'Access-Control-Request-Method, Access-Control-Request-Headers');
      response.statusCode = 204;
      response.setHeader('Content-Length', '0');
      response.end();
    },
    exposeRefusal(request) {
      const origin = request.headers.origin;
      // Engine.IO keeps the polling response on the request; an upgrade has none to annotate.
      const response = (request as IncomingMessage & { res?: ServerResponse }).res;
      if (origin === undefined || !response || typeof response.setHeader !== 'function' || response.headersSent) return;
      response.setHeader('Access-Control-Allow-Origin', origin);
      appendVary(response, 'Origin');
    },
  };
}

function appendVary(response: ServerResponse, value: string): void {
  const current = response.getHeader('Vary');
  response.setHeader('Vary', current ? `${String(current)}, ${value}` : value);
}
