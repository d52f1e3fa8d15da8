/** Keys whose values are credentials wherever they appear. */
const SECRET_KEY = /token|authorization|secret|password|passwd|cookie|api[-_]?key|credential|jwt|session[-_]?id/i;
/** A JSON Web Token: three base64url parts, the first an encoded '{"'. */
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{4,}/gi;
/** Query parameters that carry credentials in URLs: `?token=…`, `&access_token=…`, `&sig=…`. */
const SECRET_PARAM = /([?&;](?:[a-z_]*token|auth|key|apikey|api_key|signature|sig|password|secret|code)=)[^&#\s"]+/gi;

/** The longest string kept in a bundle; longer ones are cut (a log message, an error text). */
export const MAX_STRING_LENGTH = 500;

/** Removes credentials from a string: JWTs, bearer/basic credentials and secret URL parameters. */
export function redactText(text: string): string {
  const cleaned = text.replace(JWT, '[redacted jwt]').replace(BEARER, '$1 [redacted]').replace(SECRET_PARAM, '$1[redacted]');
  return cleaned.length > MAX_STRING_LENGTH ? `${cleaned.slice(0, MAX_STRING_LENGTH)}… (${cleaned.length} chars)` : cleaned;
}

/**
 * A deep copy of plain data with every credential removed: values under keys that name a
 * credential (token, authorization, cookie, secret…) are replaced, and strings are cleaned
 * with {@link redactText}. Functions and undefined are dropped, as JSON would.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return typeof value === 'function' ? undefined : value;
  if (depth > 12) return '[too deep]';
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined || typeof item === 'function') continue;
    out[key] = SECRET_KEY.test(key) && item !== null && typeof item !== 'boolean' && typeof item !== 'number' ? '[redacted]' : redact(item, depth + 1);
  }
  return out;
}
