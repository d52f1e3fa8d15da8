import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

/**
 * What a new user gets: the project packed as `npm pack` on a fresh clone packs it (prepack
 * builds), installed with `npm install <tarball>` into an empty CommonJS project, then used
 * by its public names only. The clone is a copy of the working tree (without node_modules and
 * dist) so the build never races anything in this checkout.
 */
const run = promisify(execFile);
const repo = resolve('.');
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  exports: Record<string, string | { types: string; import: string; require: string }>;
  devDependencies: Record<string, string>;
};
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

let work: string;
let app: string;
let packed: { filename: string; files: Array<{ path: string }> };

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'jobcast-pack-'));
  const clone = join(work, 'clone');
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repo, maxBuffer: 64 * 1024 * 1024 });
  for (const file of stdout.split('\0').filter(Boolean)) {
    if (file.startsWith('node_modules/') || file.startsWith('dist/')) continue;
    const target = join(clone, file);
    mkdirSync(dirname(target), { recursive: true });
    try {
      cpSync(join(repo, file), target);
    } catch {
      // a file deleted in the working tree but still in the index
    }
  }
  symlinkSync(join(repo, 'node_modules'), join(clone, 'node_modules'), 'dir');
  const pack = await run('npm', ['pack', '--json', '--pack-destination', work, ...NPM_FLAGS], { cwd: clone, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
  packed = (JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as Array<typeof packed>)[0]!;

  app = join(work, 'app');
  mkdirSync(app);
  // `npm init -y` today: a CommonJS project.
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'commonjs' }));
  const react = `react@${pkg.devDependencies.react}`;
  await run('npm', ['install', join(work, packed.filename), react, ...NPM_FLAGS], { cwd: app, timeout: 600_000 });
}, 1_200_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const node = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, args, { cwd: app, timeout: 120_000, env: { ...process.env, ...env } });

describe('the packed package', () => {
  it('holds the built dist for every export and the bin, and no sources, tests or source maps', () => {
    const files = packed.files.map((file) => file.path);
    const targets = Object.values(pkg.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)));
    for (const target of targets) expect(files, target).toContain(target.replace(/^\.\//, ''));
    expect(files).toContain('dist/bin/jobcast.js');
    expect(files).toContain('README.md');
    expect(files.filter((file) => !file.startsWith('dist/') && file !== 'README.md' && file !== 'package.json')).toEqual([]);
    expect(files.filter((file) => file.endsWith('.map') || (file.endsWith('.ts') && !file.endsWith('.d.ts')))).toEqual([]);
  });

  it('imports every export path by its public name from an installed tarball', async () => {
    const { stdout } = await node([
      '--input-type=module',
      '-e',
      `const names = { server: 'createJobcastServer', client: 'createJobcastClient', react: 'useJobStatus', shared: 'StatusEventSchema', worker: 'createJobcastWorker' };
       const found = {};
       for (const [path, name] of Object.entries(names)) found[path] = typeof (await import('jobcast/' + path))[name];
       console.log(JSON.stringify(found));`,
    ]);
    expect(JSON.parse(stdout)).toEqual({ server: 'function', client: 'function', react: 'function', shared: 'object', worker: 'function' });
  });

  it('runs the jobcast bin: --help prints the usage and exits 0', async () => {
    const { stdout } = await run(join(app, 'node_modules', '.bin', 'jobcast'), ['--help'], { cwd: app, timeout: 120_000 });
    expect(stdout).toMatch(/^usage:/);
    expect(stdout).toContain('jobcast doctor');
  });

  it('answers require() with "jobcast is ESM-only: use import" instead of ERR_PACKAGE_PATH_NOT_EXPORTED', async () => {
    const { stdout } = await node([
      '-e',
      `for (const path of ['server', 'client', 'worker']) {
         try { require('jobcast/' + path); console.log('loaded'); } catch (error) { console.log(error.code + ' ' + error.message); }
       }`,
    ]);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toMatch(/^ERR_REQUIRE_ESM jobcast is ESM-only: use import/);
  });

  it("runs the README's server as a .mjs file in a CommonJS project (top-level await included)", async () => {
    writeFileSync(
      join(app, 'server.mjs'),
      `import { createServer } from 'node:http';
       import { createJobcastServer } from 'jobcast/server';
       const httpServer = createServer();
       const jobcast = await createJobcastServer({
         httpServer,
         redis: process.env.REDIS_URL,
         queues: ['summaries'],
         keyPrefix: 'jc-pack-' + process.pid,
         authenticate: ({ token }) => (token ? { id: token } : null),
         channels: { 'document:{id}': () => true },
       });
       await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
       console.log(JSON.stringify({ started: typeof jobcast.router, redis: (await jobcast.health()).redis }));
       await jobcast.close();
       httpServer.close();`,
    );
    const { stdout } = await node(['server.mjs'], { REDIS_URL: inject('redisUrl') });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ started: 'function', redis: 'up' });
  });
});
