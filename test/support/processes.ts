import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** tsx's loader, so a child process runs TypeScript like the tests do. */
const TSX = require.resolve('tsx');

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
  const child = spawn(process.execPath, ['--import', TSX, new URL('./serverNode.ts', import.meta.url).pathname], {
    env: { ...process.env, ...env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server node did not start: ${stderr}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /ready (\d+)/.exec(chunk.toString());
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server node exited with ${code}: ${stderr}`));
    });
  });
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
  /** SIGKILL: the worker dies mid-job without releasing anything. */
  kill(): Promise<void>;
}

/** Starts `test/support/workerNode.ts` (a jobcast worker) and resolves once it listens. */
export async function startWorkerProcess(env: { REDIS_URL: string; QUEUE: string; KEY_PREFIX?: string; HANG?: '1' }): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', TSX, new URL('./workerNode.ts', import.meta.url).pathname], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const waiter of waiters) waiter();
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const printed = (line: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker did not print "${line}": ${stderr}`)), 60_000);
      const check = () => {
        if (stdout.split('\n').includes(line)) {
          clearTimeout(timer);
          resolve();
        }
      };
      waiters.push(check);
      check();
    });
  await printed('ready');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    started: (jobId) => printed(`active ${jobId}`),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
