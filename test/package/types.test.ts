import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The published types need nothing a user does not install. The declarations are built as
 * `npm run build` builds them (tsconfig.build.json, into a temporary folder so nothing here
 * races the checkout's dist/), then:
 * - every import of every .d.ts is a relative file, a Node built-in (server and bin only: the
 *   browser entry points must not need @types/node), or a dependency or peer dependency;
 * - a dependency whose types come from DefinitelyTyped has its `@types/…` package among the
 *   dependencies too (a peer's types are the user's, as with react and @types/react);
 * - a project that has only those packages typechecks every entry point with `skipLibCheck: false`.
 */
const run = promisify(execFile);
const repo = resolve('.');
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  exports: Record<string, string | { types: string }>;
};
const dependencies = new Set(Object.keys(pkg.dependencies));
const peers = new Set(Object.keys(pkg.peerDependencies));
const nodeBuiltins = new Set(builtinModules);

let work: string;
/** The app folder, and jobcast "installed" in it: package.json plus the emitted declarations. */
let app: string;
let installed: string;
let declarations: string[];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'jobcast-types-'));
  app = join(work, 'app');
  installed = join(app, 'node_modules', 'jobcast');
  mkdirSync(installed, { recursive: true });
  copyFileSync('package.json', join(installed, 'package.json'));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  await run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--emitDeclarationOnly', '--outDir', join(installed, 'dist')], { cwd: repo, timeout: 600_000 }).catch(
    (error: { stdout?: string }) => {
      throw new Error(`the build failed:\n${error.stdout ?? String(error)}`);
    },
  );
  declarations = listFiles(join(installed, 'dist')).filter((file) => file.endsWith('.d.ts'));
}, 660_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)]));
}

/** `zod/mini` → `zod`, `@socket.io/redis-adapter/x` → `@socket.io/redis-adapter`. */
const packageOf = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
/** `@types/express` for `express`, `@types/babel__core` for `@babel/core`. */
const typesPackageOf = (name: string) => `@types/${name.startsWith('@') ? name.slice(1).replace('/', '__') : name}`;

/** Does the installed package carry its own declarations (rather than leave them to @types)? */
function shipsTypes(name: string): boolean {
  const manifest = JSON.parse(readFileSync(join(repo, 'node_modules', name, 'package.json'), 'utf8')) as Record<string, unknown>;
  if (manifest.types || manifest.typings) return true;
  if (JSON.stringify(manifest.exports ?? {}).includes('"types"')) return true;
  return existsSync(join(repo, 'node_modules', name, 'index.d.ts'));
}

/** Why one import of a published declaration file would fail for a user, or undefined when it is fine. */
function problemWith(specifier: string, file: string): string | undefined {
  if (specifier.startsWith('.')) return undefined;
  const where = relative(installed, file);
  const browserSide = !where.startsWith('dist/server/') && !where.startsWith('dist/bin/');
  if (specifier.startsWith('node:') || nodeBuiltins.has(packageOf(specifier))) {
    return browserSide ? `a browser entry point imports Node's "${specifier}" (its users would need @types/node)` : undefined;
  }
  const name = packageOf(specifier);
  if (peers.has(name)) return undefined;
  if (!dependencies.has(name)) {
    return name in pkg.devDependencies ? `"${specifier}" is only a devDependency` : `"${specifier}" is not a dependency at all`;
  }
  if (shipsTypes(name) || dependencies.has(typesPackageOf(name))) return undefined;
  return `"${specifier}" gets its types from ${typesPackageOf(name)}, which is not a dependency`;
}

describe('the published types', () => {
  it('are emitted for every export path', () => {
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue;
      expect(declarations, subpath).toContain(join(installed, target.types));
    }
  });

  it('import only relative files, Node built-ins (server side) and dependencies that bring their types', () => {
    const problems: string[] = [];
    for (const file of declarations) {
      const { importedFiles, typeReferenceDirectives } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
      for (const { fileName } of importedFiles) {
        const problem = problemWith(fileName, file);
        if (problem) problems.push(`${relative(installed, file)}: ${problem}`);
      }
      for (const { fileName } of typeReferenceDirectives) {
        const problem = problemWith(fileName === 'node' ? 'node:module' : fileName, file);
        if (problem) problems.push(`${relative(installed, file)}: /// <reference types="${fileName}" />: ${problem}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('typecheck with skipLibCheck off in a project holding only the dependencies (plus @types/node and React)', async () => {
    // What `npm install jobcast react @types/react @types/node` gives: jobcast's dependencies
    // (their own dependencies resolve from the checkout), nothing from its devDependencies.
    for (const name of [...dependencies, 'react', '@types/react', '@types/node']) {
      const target = join(app, 'node_modules', name);
      mkdirSync(dirname(target), { recursive: true });
      if (!existsSync(target)) symlinkSync(join(repo, 'node_modules', name), target, 'dir');
    }
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2023', 'DOM'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
          skipLibCheck: false,
          noEmit: true,
          jsx: 'react-jsx',
          types: ['node'],
        },
        files: ['app.ts'],
      }),
    );
    writeFileSync(
      join(app, 'app.ts'),
      `import * as server from 'jobcast/server';
import * as worker from 'jobcast/worker';
import * as client from 'jobcast/client';
import * as react from 'jobcast/react';
import * as shared from 'jobcast/shared';
export const entryPoints = [server.createJobcastServer, worker.createJobcastWorker, client.createJobcastClient, react.useJobStatus, shared.StatusEventSchema];
export type Server = server.JobcastServer<{ id: string }>;
`,
    );
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', app], { cwd: app, timeout: 300_000 }).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(result).toBe('');
  }, 320_000);
});
