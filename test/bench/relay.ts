import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';

const TSX = createRequire(import.meta.url).resolve('tsx');

/** jobcast, the cheapest relay (`completed` only), or a relay forwarding every job event with no guarantee. */
export type Mode = 'jobcast' | 'raw' | 'events';

/** Children still running; killed if the bench itself dies, so no relay outlives it. */
const children = new Set<ChildProcess>();
process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));
const track = (child: ChildProcess) => {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
};

export interface Relay {
  mode: Mode;
  url: string;
  child: ChildProcess;
  /** Resident set size after a forced GC. */
  rss(): Promise<number>;
  /** Resident set size and the JS heap in use, after a forced GC. */
  memory(): Promise<{ rss: number; heapUsed: number }>;
  /** RSS (no forced GC), CPU time, event-loop delay and GC pauses since the previous call. */
  stats(): Promise<RelayStats>;
  stop(): Promise<void>;
}

export interface RelayStats {
  rss: number;
  cpuMs: number;
  loopDelay: { p50: number; p99: number; max: number };
  gc: { count: number; totalMs: number; maxMs: number };
  /** jobcast only: its ingest's busy seconds per phase and its broadcasts, cumulative (from its metrics). */
  ingest?: Record<string, number> | undefined;
}

/**
 * Starts `relayServer.ts` in its own process (with --expose-gc, so memory readings settle
 * first); `nodeArgs` go to node, e.g. `--cpu-prof`.
 */
export async function startRelay(
  env: { MODE: Mode; REDIS_URL: string; QUEUE: string; KEY_PREFIX: string; NODE_ID?: string; ADAPTER?: '1' },
  nodeArgs: string[] = [],
): Promise<Relay> {
  const child = track(spawn(process.execPath, [...nodeArgs, '--expose-gc', '--import', TSX, new URL('./relayServer.ts', import.meta.url).pathname], {
    env: { ...process.env, NODE_ID: 'bench', ...env },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  }));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('relay did not start')), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /ready (\d+)/.exec(chunk.toString());
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`relay exited with ${code}`)));
  });
  return {
    mode: env.MODE,
    url: `http://127.0.0.1:${port}`,
    child,
    rss: () => ask<{ rss: number }>(child, 'rss').then((message) => message.rss),
    memory: () => ask<{ rss: number; heapUsed: number }>(child, 'rss'),
    stats: () => ask<RelayStats>(child, 'stats'),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Sends one IPC question to a child and resolves with its next message (one question at a time). */
export function ask<T>(child: ChildProcess, question: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (message) => resolve(message as T));
    child.send(question);
  });
}

/** Starts `loadClients.ts` with `count` idle subscribed clients; resolves once they are all in. */
export async function startIdleClients(env: { URL: string; MODE: Mode; COUNT: number; ROOMS: number; OFFSET: number }): Promise<{ subscribed: number; stop(): void }> {
  const child = track(spawn(process.execPath, ['--import', TSX, new URL('./loadClients.ts', import.meta.url).pathname], {
    env: { ...process.env, URL: env.URL, MODE: env.MODE, COUNT: String(env.COUNT), ROOMS: String(env.ROOMS), OFFSET: String(env.OFFSET) },
    stdio: ['ignore', 'pipe', 'inherit'],
  }));
  const subscribed = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('idle clients did not subscribe in time')), 240_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /subscribed (\d+) failed (\d+)/.exec(chunk.toString());
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  });
  return { subscribed, stop: () => child.kill('SIGTERM') };
}

/** Starts another bench script (a `.ts` next to this file) in its own process, with IPC; killed with the bench. */
export function spawnBenchChild(script: string, env: Record<string, string>): ChildProcess {
  return track(spawn(process.execPath, ['--import', TSX, new URL(script, import.meta.url).pathname], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  }));
}

/** Resolves with the first match of `pattern` in the child's stdout. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} from child within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      const match = pattern.exec(chunk.toString());
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve(match);
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before ${pattern}`)));
  });
}
