import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * A program the tests or the demo need from the system, found on the usual paths, or
 * installed with apt-get when this is Debian and we are root (a fresh CI machine); anywhere
 * else, an error that says what to install.
 */
export function ensureSystemProgram(args: { program: string; debianPackage: string; candidates: string[]; instead: string }): string {
  const found = findProgram(args.program, args.candidates);
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && existsSync('/etc/debian_version') && existsSync('/usr/bin/apt-get')) {
    console.error(`[jobcast] ${args.program} is missing: installing it with apt-get (Debian package "${args.debianPackage}")…`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', args.debianPackage], { stdio: 'inherit', env });
    const installed = findProgram(args.program, args.candidates);
    if (installed) return installed;
  }
  throw new Error(`${args.program} is not installed. ${args.instead}`);
}

function findProgram(program: string, candidates: string[]): string | undefined {
  for (const candidate of candidates) if (existsSync(candidate)) return candidate;
  try {
    return execFileSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
