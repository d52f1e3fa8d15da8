/**
 * Starts throwaway `redis-server` processes for tests, the demo and the benchmark: a free
 * port on 127.0.0.1, a temporary directory, no persistence unless asked. On a Debian
 * machine where we are root and redis-server is missing, it is installed with apt-get;
 * elsewhere we stop with a message naming what to install.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSystemProgram } from './systemPackage.js';

export interface RedisServerOptions {
  /** Persist every write to an append-only file, so a restart keeps the data. @default false */
  appendonly?: boolean;
  /** A fixed port; by default a free one is picked. */
  port?: number;
  /** Start it in cluster mode (`cluster-enabled yes`, its node file in its own folder). @default false */
  clusterEnabled?: boolean;
}

export interface RedisServerHandle {
  url: string;
  port: number;
  dir: string;
  /** Graceful shutdown (SIGTERM); with appendonly the data survives a `start()`. */
  stop(): Promise<void>;
  /** SIGKILL: what a crash looks like. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and directory. */
  start(): Promise<void>;
  /** Stops the server and deletes its directory. Safe to call twice. */
  dispose(): Promise<void>;
}

const CANDIDATES = ['/usr/bin/redis-server', '/usr/sbin/redis-server', '/usr/local/bin/redis-server', '/opt/homebrew/bin/redis-server'];

/** Path of redis-server, installing it with apt-get on Debian as root when missing. */
export function ensureRedisServerBinary(): string {
  return ensureSystemProgram({
    program: 'redis-server',
    debianPackage: 'redis-server',
    candidates: CANDIDATES,
    instead:
      'jobcast needs a real Redis for its tests and demo.\n' +
      'Install it (Debian/Ubuntu: `sudo apt-get install redis-server`; macOS: `brew install redis`),\n' +
      'or point REDIS_URL at a Redis you already run (e.g. REDIS_URL=redis://127.0.0.1:6379).',
  });
}

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts a throwaway redis-server and resolves once it answers PING. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const binary = ensureRedisServerBinary();
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'jobcast-redis-'));
  let child: ChildProcess | undefined;
  let disposed = false;

  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--protected-mode', 'no',
    '--appendonly', options.appendonly ? 'yes' : 'no', '--appendfsync', 'always', '--loglevel', 'warning', '--daemonize', 'no',
    ...(options.clusterEnabled ? ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf')] : []),
  ];
  const start = async () => {
    const proc = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<never>((_, reject) =>
      proc.once('exit', (code) => reject(new Error(`redis-server exited early (code ${code}): ${stderr.trim()}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([waitForPing(port, 20_000), exited]);
  };
  const stopWith = async (signal: NodeJS.Signals) => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill(signal);
    await exited;
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    stop: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
    start,
    dispose: async () => {
      if (disposed) return;
      disposed = true;
      await stopWith('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves when a Redis on `port` answers PING, retrying until `timeoutMs`. */
async function waitForPing(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.setTimeout(1_000);
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
