import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
/** tsx's loader, so a child process runs TypeScript like the tests do. */
const TSX = require.resolve('tsx');
// Paths from node:path: under jsdom the global URL is jsdom's, which resolves a file: base to http://localhost.
const here = (file: string) => join(dirname(fileURLToPath(import.meta.url)), file);

/**
 * The port a server-node child prints as `ready <port>`, within 60 s; rejects with what it
 * logged (`output()`) when it exits or stays silent.
 */
export function readyPort(child: ChildProcess, what: string, output: () => string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start within 60 s: ${output()}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /ready (\d+)/.exec(chunk.toString());
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} at start-up: ${output()}`));
    });
  });
}

export interface ServerProcess {
  port: number;
  nodeId: string;
  child: ChildProcess;
  /** SIGKILL: the node dies mid-flight without closing anything. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `test/support/serverNode.ts` in a process of its own and resolves once it listens. */
export async function startServerProcess(env: { REDIS_URL: string; QUEUES: string; KEY_PREFIX: string; NODE_ID: string }): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', TSX, here('serverNode.ts')], {
    env: { ...process.env, ...env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await readyPort(child, 'server node', () => stderr);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exited;
  };
  return { port, nodeId: env.NODE_ID, child, kill: () => signal('SIGKILL'), stop: () => signal('SIGTERM') };
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves when the worker printed `active <jobId>`. */
  started(jobId: string): Promise<void>;
  /** SIGKILL: the worker dies mid-job without releasing anything. Safe to call twice. */
  kill(): Promise<void>;
}

/** Starts `test/support/workerNode.ts` (a jobcast worker) and resolves once it listens; with HANG=1 every job hangs inside its step `work`. */
export async function startWorkerProcess(env: { REDIS_URL: string; QUEUE: string; KEY_PREFIX?: string; HANG?: '1' }): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', TSX, here('workerNode.ts')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const waiter of waiters) waiter();
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const printed = (line: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker did not print "${line}": ${stderr}`)), 60_000);
      const check = () => {
        if (!stdout.split('\n').includes(line)) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
    });
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  try {
    await printed('ready');
  } catch (error) {
    await kill();
    throw error;
  }
  return { child, started: (jobId) => printed(`active ${jobId}`), kill };
}
