import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
/** tsx's loader, so the child runs TypeScript like the tests do. */
const TSX = require.resolve('tsx');
// Paths from node:path: under jsdom the global URL is jsdom's, which resolves a file: base to http://localhost.
const WORKER_NODE = join(dirname(fileURLToPath(import.meta.url)), '../../support/workerNode.ts');

/** A jobcast worker in a process of its own (test/support/workerNode.ts), for React tests that must kill one. */
export interface WorkerProcess {
  /** Resolves when the worker printed `active <jobId>`. */
  started(jobId: string): Promise<void>;
  /** SIGKILL: the worker dies mid-job without releasing anything. Safe to call twice. */
  kill(): Promise<void>;
}

/** Starts the worker and resolves once it listens; with HANG=1 every job hangs inside its step `work`. */
export async function startWorkerProcess(env: { REDIS_URL: string; QUEUE: string; KEY_PREFIX: string; HANG?: '1' }): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', TSX, WORKER_NODE], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
  return { started: (jobId) => printed(`active ${jobId}`), kill };
}
