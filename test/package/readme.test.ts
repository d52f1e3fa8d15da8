import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { JobcastClient, RoomJob } from '../../client/index.js';
import { testClient, waitFor } from '../support/stack.js';

/**
 * Every ```ts and ```tsx block of README.md typechecks, as an app would compile it:
 * - each block is its own ES module (strict, noUncheckedIndexedAccess, NodeNext, as tsconfig.json);
 * - `jobcast/…` resolves to this checkout's sources through the package.json export paths,
 *   every other package to node_modules;
 * - names a block leaves to the app (`users`, `session`, `showError`…) are declared once, in
 *   {@link APP_NAMES} below, and nothing else: a block never relies on another block, and
 *   whatever it uses from jobcast, React or express it imports itself;
 * - a failure names the README line.
 * The guide's server, worker and routing blocks then run together against Redis (below); the
 * browser and React blocks connect to URLs the README leaves to the reader, so they are only
 * typechecked.
 */
const repo = resolve('.');

/** What the README's examples take from the app around them; one global declaration per name. */
const APP_NAMES = `
type AppUser = { id: string };
declare const users: { fromToken(token: string): Promise<AppUser | null> };
declare const documents: { canView(user: AppUser, documentId: string): Promise<boolean> };
declare function loadDocument(documentId: string): Promise<string>;
declare function split(text: string): string[];
declare function summarize(chunks: string[]): Promise<string>;
declare function saveSummary(documentId: string, summary: string): Promise<void>;
declare const jobcast: import('jobcast/server').JobcastServer<AppUser>;
declare const queue: import('bullmq').Queue;
declare const data: { documentId: string };
declare const myJobId: string;
declare const correlationId: string;
declare const session: { token: string };
declare function showError(code: string, message: string): void;
declare const url: string;
declare const getToken: () => Promise<string>;
`;

interface ReadmeBlock {
  /** The README line of the block's first line of code (1-based). */
  line: number;
  lang: 'ts' | 'tsx';
  code: string;
}

/** The README's ```ts and ```tsx blocks, in order. */
function readmeBlocks(markdown = readFileSync(join(repo, 'README.md'), 'utf8')): ReadmeBlock[] {
  const lines = markdown.split('\n');
  const blocks: ReadmeBlock[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = /^```(ts|tsx)\s*$/.exec(lines[index]!);
    if (!open) continue;
    const end = lines.findIndex((text, at) => at > index && /^```\s*$/.test(text));
    if (end === -1) throw new Error(`README.md:${index + 1}: the code block never closes`);
    blocks.push({ line: index + 2, lang: open[1] as 'ts' | 'tsx', code: lines.slice(index + 1, end).join('\n') });
    index = end;
  }
  return blocks;
}

/** `jobcast/server` → `./server/index.ts`, from the package.json export paths (import → source). */
function sourcePaths(): Record<string, string[]> {
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { exports: Record<string, string | { import: string }> };
  const paths: Record<string, string[]> = {};
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue;
    const base = target.import.replace(/^\.\/dist\//, './').replace(/\.js$/, '');
    const source = ['.ts', '.tsx'].map((ext) => base + ext).find((file) => existsSync(join(repo, file)));
    if (!source) throw new Error(`no source for exports["${subpath}"] (${target.import})`);
    paths[`jobcast/${subpath.slice(2)}`] = [source];
  }
  return paths;
}

const blocks = readmeBlocks();
/** Virtual files next to this test (an existing folder, inside the package, so it is ESM). */
const fileOf = (block: ReadmeBlock) => join(repo, 'test', 'package', `README.md.line-${block.line}.${block.lang}`);
const appNamesFile = join(repo, 'test', 'package', 'README.md.app-names.d.ts');

let program: ts.Program;

beforeAll(() => {
  const config = ts.readConfigFile(join(repo, 'tsconfig.json'), ts.sys.readFile).config as { compilerOptions: Record<string, unknown> };
  const { options } = ts.parseJsonConfigFileContent(
    { compilerOptions: { ...config.compilerOptions, noEmit: true, paths: sourcePaths() }, files: [] },
    ts.sys,
    repo,
  );
  // `export {}` makes a block without imports a module too (top-level await, no global names).
  const virtual = new Map<string, string>([[appNamesFile, APP_NAMES], ...blocks.map((block) => [fileOf(block), `${block.code}\nexport {};\n`] as const)]);
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (file) => virtual.has(file) || fileExists.call(host, file);
  host.readFile = (file) => virtual.get(file) ?? readFile.call(host, file);
  host.getSourceFile = (file, language, ...rest) => {
    const text = virtual.get(file);
    return text === undefined ? getSourceFile.call(host, file, language, ...rest) : ts.createSourceFile(file, text, language, true);
  };
  program = ts.createProgram({ rootNames: [...virtual.keys()], options, host });
}, 300_000);

/** The block's errors as `README.md:<line>: <message>`. */
function errorsOf(block: ReadmeBlock): string[] {
  const source = program.getSourceFile(fileOf(block));
  if (!source) return [`README.md:${block.line}: not compiled`];
  return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map((diagnostic) => {
    const line = diagnostic.start === undefined ? 0 : source.getLineAndCharacterOfPosition(diagnostic.start).line;
    return `README.md:${block.line + line}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
  });
}

describe('README code blocks', () => {
  it('are found: every ```ts and ```tsx block of README.md', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
  });

  it('declare the app names without errors', () => {
    expect(program.getGlobalDiagnostics().map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'))).toEqual([]);
    expect(program.getSemanticDiagnostics(program.getSourceFile(appNamesFile)).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'))).toEqual([]);
  });

  it.each(blocks.map((block) => [block.line, block] as const))('README.md line %i typechecks', (_line, block) => {
    expect(errorsOf(block)).toEqual([]);
  });
});

const routedJobId = 'readme-routed-job';

/**
 * What the blocks that run take from the app: the same names as {@link APP_NAMES}, with values.
 * alice may see document 42; the "document" is two sentences, summarized as its chunk count.
 */
const APP_VALUES = `
Object.assign(globalThis, {
  users: { fromToken: async (token) => ({ id: token }) },
  documents: { canView: async (user, documentId) => user.id === 'alice' && documentId === '42' },
  loadDocument: async (documentId) => 'Document ' + documentId + ' has two sentences. This is the second.',
  split: (text) => text.split('. '),
  summarize: async (chunks) => chunks.length + ' chunks',
  saveSummary: async () => undefined,
  data: { documentId: '42' },
  myJobId: '${routedJobId}',
  correlationId: 'readme-correlation',
});
`;

/** A block's code with `jobcast/…` pointing at this checkout's sources (what `paths` does for the typecheck). */
function runnable(block: ReadmeBlock, extra = ''): string {
  const paths = sourcePaths();
  const code = block.code.replace(/(['"])(jobcast\/[a-z]+)\1/g, (whole, _quote: string, specifier: string) => {
    const source = paths[specifier]?.[0];
    return source ? JSON.stringify(pathToFileURL(join(repo, source)).href) : whole;
  });
  return `${code}\n${extra}\n`;
}

/** The block that holds `marker`: blocks are found by what they do, not by their line. */
const blockWith = (marker: string) => {
  const found = blocks.filter((block) => block.code.includes(marker));
  if (found.length !== 1) throw new Error(`expected one README block with ${marker}, found ${found.length}`);
  return found[0]!;
};

describe('the README guide', () => {
  let folder: string;
  let redisUrl: string;
  let child: ReturnType<typeof spawn> | undefined;
  let output = '';
  let client: JobcastClient | undefined;
  /** The room's jobs once the three were final, by id. */
  let finished = new Map<string, RoomJob>();

  beforeAll(async () => {
    // Its own Redis database, emptied before and after: the guide's queue names are fixed.
    const url = new URL(inject('redisUrl'));
    url.pathname = '/11';
    redisUrl = url.href;
    const redis = new Redis(redisUrl);
    await redis.flushdb();
    redis.disconnect();
    mkdirSync(join(repo, 'test-artifacts'), { recursive: true });
    folder = mkdtempSync(join(repo, 'test-artifacts', 'readme-run-'));
  });

  afterAll(async () => {
    client?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    if (folder) rmSync(folder, { recursive: true, force: true });
    const redis = new Redis(redisUrl);
    await redis.flushdb();
    redis.disconnect();
  });

  it('runs the server, worker and routing blocks: the page sees the jobs of both kinds of routing, summaries included', async () => {
    const server = blockWith('createJobcastServer(');
    const worker = blockWith('createJobcastWorker(');
    const routing = blockWith('jobcast.routeJob(');
    // Each block is its own module; the harness only adds what it needs to reach them: the
    // server block's `jobcast` for the routing block, and a free port instead of 3000.
    writeFileSync(join(folder, 'server.mts'), runnable(server, 'export { jobcast };'));
    writeFileSync(join(folder, 'worker.mts'), runnable(worker));
    writeFileSync(join(folder, 'routing.mts'), runnable(routing));
    writeFileSync(
      join(folder, 'main.mts'),
      `import http from 'node:http';
import { Queue } from 'bullmq';
${APP_VALUES}
const listen = http.Server.prototype.listen;
http.Server.prototype.listen = function (...args) {
  this.once('listening', () => console.log(JSON.stringify({ readmePort: this.address().port })));
  return listen.call(this, 0, '127.0.0.1');
};
const { jobcast } = await import('./server.mts');
await import('./worker.mts');
Object.assign(globalThis, { jobcast, queue: new Queue('summaries', { connection: { url: process.env.REDIS_URL } }) });
await import('./routing.mts');
console.log(JSON.stringify({ readmeRouted: true }));
`,
    );
    child = spawn(process.execPath, ['--import', 'tsx', join(folder, 'main.mts')], {
      cwd: repo,
      env: { ...process.env, REDIS_URL: redisUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    const marker = (key: string) => () => {
      if (child!.exitCode !== null) throw new Error(`the guide exited (${child!.exitCode}):\n${output}`);
      const line = output.split('\n').find((text) => text.startsWith(`{"${key}"`));
      return line ? (JSON.parse(line) as Record<string, unknown>)[key] : undefined;
    };
    const port = (await waitFor(marker('readmePort'), 'the guide server to listen', 60_000)) as number;
    const url = `http://127.0.0.1:${port}`;

    client = testClient(url, 'alice');
    const room = client.room('document:42');
    const stop = room.subscribe(() => undefined);
    await waitFor(() => room.getSnapshot().state === 'active', 'alice to subscribe to document:42');

    const response = await fetch(`${url}/documents/42/summarize`, { method: 'POST' });
    expect(response.status).toBe(202);
    const job = (await response.json()) as { queue: string; jobId: string; correlationId: string };
    expect(job).toMatchObject({ queue: 'summaries', jobId: expect.any(String), correlationId: expect.any(String) });

    await waitFor(marker('readmeRouted'), 'the routing block to add its two jobs', 60_000);
    const final = () => Object.values(room.getSnapshot().jobs).filter((status) => status.state === 'completed' || status.state === 'failed');
    await waitFor(() => final().length >= 3, 'the three jobs to finish', 60_000).catch((error: Error) => {
      const jobs = Object.values(room.getSnapshot().jobs).map((status) => `${status.jobId}: ${status.state}`);
      throw new Error(`${error.message}; the room holds ${JSON.stringify(jobs)}; the guide printed:\n${output}`);
    });
    // Both ways of routing reached the room: the POST's job and the routing block's two.
    finished = new Map(final().map((status) => [status.jobId, status]));
    expect(finished.get(job.jobId)).toMatchObject({ state: 'completed', data: { summary: '2 chunks' } });
    expect(finished.has(routedJobId)).toBe(true);
    const enqueued = final().filter((status) => status.jobId !== job.jobId && status.jobId !== routedJobId);
    expect(enqueued).toHaveLength(1);
    expect(enqueued[0]).toMatchObject({ state: 'completed', data: { summary: '2 chunks' } });
    stop();
  }, 180_000);

  // The worker block's `enqueue('emails', …)` inherits the rooms of the running job, whether
  // jobcast added it or it was routed with routeJob + queue.add (its rooms are in its route).
  it('completes the job the routing block added with routeJob + queue.add, like the others', () => {
    expect(finished.get(routedJobId)).toMatchObject({ state: 'completed', data: { summary: '2 chunks' } });
  });
});
