/**
 * Builds what the package ships (`npm run build`, and `npm pack`/`npm publish` through
 * `prepack`): a clean `dist/` from tsconfig.build.json, the `jobcast` bin made executable, and
 * the tiny CommonJS file every export's `require` condition points at, so that
 * `require('jobcast/server')` says what to do instead of ERR_PACKAGE_PATH_NOT_EXPORTED.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

/** The message `require('jobcast/…')` throws; the package test looks for its first words. */
export const ESM_ONLY_MESSAGE =
  "jobcast is ESM-only: use import (import { createJobcastServer } from 'jobcast/server'), or `await import('jobcast/server')` from CommonJS. " +
  'In a "type": "commonjs" project, write the file as .mjs (or set "type": "module"). See the README, "Install".';

rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });

const bin = join(dist, 'bin', 'jobcast.js');
if (!readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node')) throw new Error(`${bin} lost its #! line`);
chmodSync(bin, 0o755);

writeFileSync(
  join(dist, 'esm-only.cjs'),
  `'use strict';\n// Every export's "require" condition: jobcast ships ES modules only.\nthrow Object.assign(new Error(${JSON.stringify(ESM_ONLY_MESSAGE)}), { code: 'ERR_REQUIRE_ESM' });\n`,
);

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, string | Record<string, string>> };
for (const [subpath, target] of Object.entries(pkg.exports)) {
  for (const file of typeof target === 'string' ? [target] : Object.values(target)) {
    if (!existsSync(join(root, file))) throw new Error(`exports["${subpath}"] points at ${file}, which the build did not produce`);
  }
}
console.log(`jobcast: built ${dist}`);
