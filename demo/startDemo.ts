/**
 * Starts the whole demo: a throwaway Redis (unless given one), the web server process and
 * a worker process, and stops them all. `npm run demo` and the browser tests both use it.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { startRedisServer, type RedisServerHandle } from '../scripts/redisServer.js';
import { namesFor, type ChildConfig, type DemoNames } from './config.js';
import { serveWorkerControl } from './ipc.js';
import { forkDemoChild, stopChild, waitForMessage, type OutputSink } from './processes.js';
import { WorkerPool } from './workerPool.js';

export interface StartDemoOptions {
  /** Where the page is served; 0 picks a free port. @default 3000 */
  port?: number;
  /** When `port` is taken, try the next ones instead of failing. @default true */
  nextFreePort?: boolean;
  /** @default '127.0.0.1' */
  host?: string;
  /** A Redis to use; without it a throwaway redis-server is started (and removed by `stop()`). */
  redisUrl?: string;
  /** Prefix of the queue and every Redis key, so several demos share one Redis. @default none: the plain names */
  namespace?: string;
  /** Start a worker at once. @default true */
  startWorker?: boolean;
  /** Receives the children's output, line by line. @default printed with the child's label */
  output?: OutputSink;
  /** Level of the worker's structured step logs (pino). @default 'warn' */
  logLevel?: string;
}

export interface DemoHandle {
  /** The page, e.g. `http://127.0.0.1:3000/`. */
  url: string;
  port: number;
  /** Set when the requested port was taken and another one is used. */
  busyPort?: number;
  redisUrl: string;
  names: DemoNames;
  workers: WorkerPool;
  /** Stops the worker, the web server and the Redis it started. Safe to call twice. */
  stop(): Promise<void>;
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** One line of a child's output for a terminal: the worker's JSON log lines in short. */
export function formatOutputLine(label: string, line: string): string {
  if (!line.startsWith('{')) return `[${label}] ${line}`;
  try {
    const entry = JSON.parse(line) as { level?: number; msg?: string; job_id?: string; attempt?: number; err?: { message?: string } };
    const job = entry.job_id ? ` job ${entry.job_id.slice(0, 8)}${entry.attempt ? ` attempt ${entry.attempt}` : ''}` : '';
    const error = entry.err?.message ? `: ${entry.err.message}` : '';
    return `[${label}] ${LEVELS[entry.level ?? 30] ?? 'LOG'}${job} ${entry.msg ?? ''}${error}`;
  } catch {
    return `[${label}] ${line}`;
  }
}

const printOutput: OutputSink = (label, line) => console.log(formatOutputLine(label, line));

/** True when nothing listens on host:port right now. */
function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

/** The port to use: the requested one, or with `nextFreePort` the first free one after it. */
async function choosePort(host: string, port: number, nextFreePort: boolean): Promise<number> {
  if (port === 0 || (await isPortFree(host, port))) return port;
  if (nextFreePort) for (let next = port + 1; next <= port + 20 && next < 65_536; next++) if (await isPortFree(host, next)) return next;
  throw new Error(`Port ${port} on ${host} is already in use. Stop what runs there, or start the demo with PORT=<another port>.`);
}

export async function startDemo(options: StartDemoOptions = {}): Promise<DemoHandle> {
  const host = options.host ?? '127.0.0.1';
  const requested = options.port ?? 3000;
  const output = options.output ?? printOutput;
  const names = namesFor(options.namespace);
  const port = await choosePort(host, requested, options.nextFreePort ?? true);

  let redis: RedisServerHandle | undefined;
  let server: ChildProcess | undefined;
  let workers: WorkerPool | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await workers?.close().catch(() => undefined);
      if (server) await stopChild(server, 10_000);
      await redis?.dispose();
    })());

  try {
    if (!options.redisUrl) redis = await startRedisServer();
    const redisUrl = options.redisUrl ?? redis!.url;
    const config: ChildConfig = {
      redisUrl,
      host,
      port,
      ...(options.namespace ? { namespace: options.namespace } : {}),
      ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    };
    workers = new WorkerPool(config, output);
    const pool = workers;
    server = forkDemoChild('./server.ts', { label: 'server', config, output });
    serveWorkerControl(server, (command) => pool.handle(command));
    const listening = waitForMessage<{ type: 'listening'; port: number }>(server, 'listening', 120_000);
    const failed = waitForMessage<{ type: 'listen-error'; message: string }>(server, 'listen-error', 120_000).then(
      (message) => Promise.reject(new Error(`The demo server could not listen on ${host}:${port}: ${message.message}`)),
      () => new Promise<never>(() => undefined),
    );
    const [ready] = await Promise.all([Promise.race([listening, failed]), options.startWorker === false ? undefined : pool.start()]);
    const urlHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
    return {
      url: `http://${urlHost}:${ready.port}/`,
      port: ready.port,
      ...(port !== requested ? { busyPort: requested } : {}),
      redisUrl,
      names,
      workers: pool,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
