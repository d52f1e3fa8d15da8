/**
 * The demo's worker slot: at most one worker process at a time, started on the current code
 * version or an old one, and stopped on request. Commands run one after another.
 */
import type { ChildProcess } from 'node:child_process';
import { APP_VERSION, OLD_APP_VERSION, type ChildConfig } from './config.js';
import type { WorkerCommand, WorkerInfo, WorkersState } from './ipc.js';
import { forkDemoChild, stopChild, waitForMessage, type OutputSink } from './processes.js';

interface Running {
  child: ChildProcess;
  info: WorkerInfo;
}

export class WorkerPool {
  readonly #config: ChildConfig;
  readonly #output: OutputSink;
  #running: Running | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(config: ChildConfig, output: OutputSink) {
    this.#config = config;
    this.#output = output;
  }

  /** The state the page shows: the expected and old versions and the running worker. */
  state(): WorkersState {
    return { expectedVersion: APP_VERSION, oldVersion: OLD_APP_VERSION, workers: this.#running ? [this.#running.info] : [] };
  }

  /** Runs a command from the page (list, stop, start current or old) and returns the new state. */
  handle(command: WorkerCommand): Promise<WorkersState> {
    if (command.op === 'list') return Promise.resolve(this.state());
    if (command.op === 'stop') return this.#serial(() => this.#stop());
    return this.#serial(() => this.#start(command.version === 'old' ? OLD_APP_VERSION : APP_VERSION));
  }

  /** Starts a worker on the current version (replacing any running one). */
  start(version = APP_VERSION): Promise<WorkersState> {
    return this.#serial(() => this.#start(version));
  }

  /** Stops the worker for good; later commands are refused. */
  close(): Promise<WorkersState> {
    this.#closed = true;
    return this.#serial(() => this.#stop());
  }

  #serial(task: () => Promise<void>): Promise<WorkersState> {
    const next = this.#queue.then(task);
    this.#queue = next.catch(() => undefined);
    return next.then(() => this.state());
  }

  async #start(version: string): Promise<void> {
    if (this.#closed) throw new Error('the demo is stopping');
    // One slot: starting a worker replaces the one running, so "old worker" really runs the jobs.
    await this.#stop();
    const child = forkDemoChild('./worker.ts', { label: `worker ${version}`, config: this.#config, env: { APP_VERSION: version }, output: this.#output });
    const running: Running = { child, info: { pid: child.pid ?? 0, version, startedAt: Date.now() } };
    this.#running = running;
    child.once('exit', () => {
      if (this.#running === running) this.#running = undefined;
    });
    try {
      await waitForMessage(child, 'ready', 60_000);
    } catch (error) {
      await stopChild(child, 2_000);
      throw error;
    }
  }

  async #stop(): Promise<void> {
    const running = this.#running;
    if (!running) return;
    // SIGTERM lets an active job finish first; a job that takes longer than this is killed and later seen as stalled.
    await stopChild(running.child, 15_000);
    if (this.#running === running) this.#running = undefined;
  }
}
