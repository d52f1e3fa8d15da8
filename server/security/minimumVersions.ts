/**
 * The lowest versions of the realtime stack that carry the fixes for published
 * denial-of-service advisories. One table, read by the dependency test and by
 * `jobcast doctor`; raise a floor here when a new advisory lands.
 */
export const MINIMUM_VERSIONS = [
  { name: 'socket.io', minimum: '4.6.2', advisory: 'CVE-2024-38355: an unhandled "error" event on a crafted packet crashes the server' },
  { name: 'engine.io', minimum: '6.6.9', advisory: 'engine.io DoS advisories: crafted handshake / payloads crash or exhaust the server' },
  { name: 'socket.io-parser', minimum: '4.2.6', advisory: 'CVE-2026-33151: crafted binary attachments exhaust the decoder' },
  { name: 'ws', minimum: '8.21.0', advisory: 'CVE-2026-48779 (and CVE-2024-37890, too many headers): a crafted upgrade request crashes the server' },
  { name: 'zod', minimum: '3.22.3', advisory: 'CVE-2023-4316: a crafted email string makes validation take exponential time' },
] as const;

/** Compares dotted versions numerically (pre-release tags are ignored). */
export function compareVersions(a: string, b: string): number {
  const parse = (version: string) => version.split('-')[0]!.split('.').map((part) => Number(part) || 0);
  const [left, right] = [parse(a), parse(b)];
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** Every installed copy of a package in a package-lock (v2/v3), nested copies included. */
export function installedVersions(lock: { packages?: Record<string, { version?: string }> }, name: string): Array<{ path: string; version: string }> {
  return Object.entries(lock.packages ?? {})
    .filter(([path, entry]) => (path === `node_modules/${name}` || path.endsWith(`/node_modules/${name}`)) && entry.version)
    .map(([path, entry]) => ({ path, version: entry.version! }));
}
