/**
 * Child processes of the demo: TypeScript files run by `node --import tsx`, with an IPC
 * channel, their output passed on line by line, and a stop that never leaves one behind.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildConfig } from './config.js';

/** The repository root: children run from there so `--import tsx` resolves. */
export const ROOT_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Receives each line a child prints, with the child's label. */
export type OutputSink = (label: string, line: string) => void;

/** Starts `demo/<file>` as a child process with its config and extra environment. */
export function forkDemoChild(file: string, options: { label: string; config: ChildConfig; env?: Record<string, string>; output: OutputSink }): ChildProcess {
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), [], {
    cwd: ROOT_DIR,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...options.env, JOBCAST_DEMO: JSON.stringify(options.config) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (buffered + chunk).split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) options.output(options.label, line);
    });
  }
  return child;
}

/** True while the process has not exited. */
export const isRunning = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/** Resolves when the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Asks a child to stop (SIGTERM: it finishes what it is doing), then kills it after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (!isRunning(child)) return;
  const done = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(timer);
}

/** Waits for the first IPC message of `type` from a child; rejects if it exits first or takes too long. */
export function waitForMessage<T extends { type: string }>(child: ChildProcess, type: T['type'], timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no "${type}" message from the child within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: unknown) => {
      if ((message as { type?: unknown })?.type === type) finish(undefined, message as T);
    };
    const onExit = (code: number | null, signal: string | null) => finish(new Error(`the child exited (code ${code}, signal ${signal}) before "${type}"`));
    function finish(error?: Error, message?: T) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(message!);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
