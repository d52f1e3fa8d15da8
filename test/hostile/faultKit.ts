/** Shared pieces of the fault scenarios: workers with a gate, observers, child processes, cursors. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Job } from 'bullmq';
import { startWorker } from '../support/harness.js';
import { observe, type Observer } from './observer.js';
import { sleep, type ScenarioContext } from './report.js';

const require = createRequire(import.meta.url);
const TSX = require.resolve('tsx');

export const TOKEN = 'user:alice';

/** A worker whose jobs with `data.gate` wait for `release()`; others report progress in a few steps and finish. */
export function gatedWorker(ctx: ScenarioContext, queue: string, redisUrl = ctx.redisUrl) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const rng = ctx.rng.fork(`worker:${queue}`);
  const delays = Array.from({ length: 64 }, () => rng.int(5, 60));
  let turn = 0;
  const worker = startWorker(
    queue,
    async (job: Job) => {
      await job.updateProgress(10);
      if ((job.data as { gate?: boolean }).gate) await gate;
      await sleep(delays[turn++ % delays.length]!);
      await job.updateProgress(60);
      await sleep(delays[turn++ % delays.length]!);
      return 'done';
    },
    redisUrl,
  );
  worker.concurrency = 8; // every gated job runs at once
  ctx.scope.defer(() => worker.close(true));
  return { worker, release: () => release() };
}

export function observers(ctx: ScenarioContext, url: string, room: string, count: number, label: string, options: { transports?: Array<'websocket' | 'polling'> } = {}): Observer[] {
  return Array.from({ length: count }, (_, index) =>
    observe(ctx.scope, { url, room, getToken: () => TOKEN, label: `${label}-${index + 1}`, ...(options.transports ? { transports: options.transports } : {}) }),
  );
}

export async function allReady(list: Observer[]): Promise<void> {
  await Promise.all(list.map((observer) => observer.ready(30_000)));
}

/** The room's cursor as the server has it (GET /jobcast/rooms/:room). */
export function serverCursor(url: () => string, token = TOKEN) {
  return async (room: string) => {
    const response = await fetch(`${url()}/jobcast/rooms/${room}`, { headers: { authorization: `Bearer ${token}` } });
    if (response.status !== 200) return undefined;
    const body = (await response.json()) as { epoch: string; seq: number };
    return { epoch: body.epoch, seq: body.seq };
  };
}

export interface Child {
  child: ChildProcess;
  lines: string[];
  kill(): Promise<void>;
}

/** Runs a TypeScript file of this folder in a process of its own; resolves once it prints `ready`. */
export async function startChild(ctx: ScenarioContext, file: string, env: Record<string, string>): Promise<Child> {
  const child = spawn(process.execPath, ['--import', TSX, new URL(file, import.meta.url).pathname], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  ctx.scope.defer(kill);
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start: ${stderr.slice(-500)}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        lines.push(line);
        if (line === 'ready') {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited with ${code}: ${stderr.slice(-500)}`));
    });
  });
  return { child, lines, kill };
}
