/** Child processes of a run: jobcast server nodes (killed and restarted by faults) and a worker to SIGKILL. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** tsx's loader, so a child runs TypeScript like the suite does. */
const TSX = require.resolve('tsx');

export interface Child {
  child: ChildProcess;
  /** Lines printed on stdout so far. */
  lines: string[];
  /** SIGKILL: dies mid-flight without closing anything. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Runs `file` (relative to this folder, or absolute) with tsx; resolves once a stdout line matches `ready`. */
export async function startChild(file: string | URL, env: NodeJS.ProcessEnv, ready: RegExp, timeoutMs = 90_000): Promise<Child & { match: RegExpExecArray }> {
  const path = file instanceof URL ? file.pathname : new URL(file, import.meta.url).pathname;
  const child = spawn(process.execPath, ['--import', TSX, path], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const kill = async () => {
    if (alive()) child.kill('SIGKILL');
    await exited;
  };
  const stop = async (graceMs = 10_000) => {
    if (alive()) child.kill('SIGTERM');
    const timer = setTimeout(() => alive() && child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  let partial = '';
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      void kill();
      reject(new Error(`${path} did not start: ${stderr.slice(-1_000)}`));
    }, timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        const found = ready.exec(line);
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${path} exited (${code ?? signal}) before it was ready: ${stderr.slice(-1_000)}`));
    });
  });
  return { child, lines, kill, stop, match };
}

export interface ServerNodeEnv {
  /** One Redis: its URL. */
  REDIS_URL?: string;
  /** A Redis Cluster: `host:port,host:port`; BULL_PREFIX then names BullMQ's hash-tagged prefix. */
  REDIS_CLUSTER_NODES?: string;
  BULL_PREFIX?: string;
  QUEUES: string;
  KEY_PREFIX: string;
  NODE_ID: string;
  PORT: string;
}

/** A jobcast server node of the suite (serverNode.ts) on a fixed port, so clients find it again after a restart. */
export async function startServerNode(env: ServerNodeEnv, extraEnv: Record<string, string> = {}): Promise<Child> {
  return startChild('./serverNode.ts', { ...env, ...extraEnv }, /^ready (\d+)$/);
}

/** The hostile suite's crash worker, hanging every job it takes until it is SIGKILLed; `redisEnv` from the world's backend. */
export async function startHangingWorker(redisEnv: Record<string, string>, queue: string): Promise<Child> {
  return startChild(new URL('../hostile/crashWorker.ts', import.meta.url), { ...redisEnv, QUEUE: queue, HANG: '1' }, /^ready$/);
}
