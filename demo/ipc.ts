/**
 * The web server asks the supervisor to start and stop workers over the IPC channel, so
 * every process of the demo has one parent that stops it.
 */
import type { ChildProcess } from 'node:child_process';

/** A worker process as the page sees it. */
export interface WorkerInfo {
  pid: number;
  version: string;
  startedAt: number;
}

/** What the page's worker controls show. */
export interface WorkersState {
  expectedVersion: string;
  oldVersion: string;
  workers: WorkerInfo[];
}

export type WorkerCommand = { op: 'list' } | { op: 'stop' } | { op: 'start'; version: 'current' | 'old' };

interface WorkerRequest {
  type: 'workers';
  requestId: number;
  command: WorkerCommand;
}
interface WorkerReply {
  type: 'workers:reply';
  requestId: number;
  state?: WorkersState;
  error?: string;
}

/** Child side: sends a command to the supervisor and resolves with its answer. */
export function createWorkerControl(timeoutMs = 30_000): (command: WorkerCommand) => Promise<WorkersState> {
  let nextId = 1;
  const pending = new Map<number, { resolve: (state: WorkersState) => void; reject: (error: Error) => void }>();
  process.on('message', (message: WorkerReply) => {
    if (message?.type !== 'workers:reply') return;
    const waiter = pending.get(message.requestId);
    pending.delete(message.requestId);
    if (message.state) waiter?.resolve(message.state);
    else waiter?.reject(new Error(message.error ?? 'the supervisor did not answer'));
  });
  return (command) =>
    new Promise((resolve, reject) => {
      if (!process.send) return reject(new Error('not started by the demo supervisor'));
      const requestId = nextId++;
      const timer = setTimeout(() => {
        pending.delete(requestId);
        reject(new Error(`the supervisor did not answer "${command.op}" within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(requestId, {
        resolve: (state) => (clearTimeout(timer), resolve(state)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      process.send({ type: 'workers', requestId, command } satisfies WorkerRequest);
    });
}

/** Supervisor side: answers the web server's worker commands with `handle`. */
export function serveWorkerControl(child: ChildProcess, handle: (command: WorkerCommand) => Promise<WorkersState>): void {
  child.on('message', (message: WorkerRequest) => {
    if (message?.type !== 'workers') return;
    const reply = (body: Omit<WorkerReply, 'type' | 'requestId'>) => {
      if (child.connected) child.send({ type: 'workers:reply', requestId: message.requestId, ...body } satisfies WorkerReply);
    };
    handle(message.command).then(
      (state) => reply({ state }),
      (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }),
    );
  });
}
