import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';

const TSX = createRequire(import.meta.url).resolve('tsx');

export type Mode = 'jobcast' | 'raw';

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
  rss(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts `relayServer.ts` in its own process (with --expose-gc, so memory readings settle first). */
export async function startRelay(env: { MODE: Mode; REDIS_URL: string; QUEUE: string; KEY_PREFIX: string; NODE_ID?: string; ADAPTER?: '1' }): Promise<Relay> {
  const child = track(spawn(process.execPath, ['--expose-gc', '--import', TSX, new URL('./relayServer.ts', import.meta.url).pathname], {
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
    rss: () =>
      new Promise((resolve) => {
        child.once('message', (message: { rss: number }) => resolve(message.rss));
        child.send('rss');
      }),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
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
