import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { WorkerIdentity } from '../../shared/index.js';

/** The schema's limit on `worker.version`. */
const VERSION_MAX_LENGTH = 100;

/**
 * The `version` of the nearest package.json at or above `from`: the app's own version when
 * the worker is started from the app's directory.
 * @returns the version, or `undefined` when no readable package.json with a version is found
 */
export function readPackageVersion(from: string = process.cwd()): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      const parsed = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown };
      if (typeof parsed.version === 'string' && parsed.version) return parsed.version;
    } catch {
      // No package.json here (or an unreadable one): keep walking up.
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Who runs the jobs: host, pid and code version, reported with every job so a developer can
 * see that "the fix didn't work" because a stale worker ran it.
 * @param version - wins over `APP_VERSION`, then `npm_package_version`, then the nearest package.json
 */
export function resolveWorkerIdentity(version?: string): WorkerIdentity {
  const resolved = version ?? process.env.APP_VERSION ?? process.env.npm_package_version ?? readPackageVersion();
  const identity: WorkerIdentity = { host: hostname().slice(0, 256), pid: process.pid };
  if (resolved) identity.version = resolved.slice(0, VERSION_MAX_LENGTH);
  return identity;
}
