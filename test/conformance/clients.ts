/**
 * The suite's clients: real `createJobcastClient` instances ("steady", "flaky", "late"), each
 * subscribed to every room it is authorized for. Each records every status its listeners
 * received (to count misrouted ones) and, at the end, what its rooms show.
 */
import { createJobcastClient, type JobcastClient, type SubscriptionHandle } from '../../client/index.js';
import { isTerminalStatus, jobKeyOf, type JobStatus, type StatusEvent } from '../../shared/index.js';
import { roomsOf, type ClientName } from './rooms.js';

/** One status a listener received, kept small. */
export interface Received {
  room: string;
  queue: string;
  jobId: string;
  incarnation: string | undefined;
  tag: string | undefined;
  state: string;
  /** The status is final (see isTerminalStatus). */
  terminal: boolean;
  event: string;
  at: number;
}

/**
 * The workload tag a status is about. What comes from the event itself wins (the completed
 * event's return value, the failed event's reason `fail:<tag>:…`) over the job's data, which a
 * server may have carried over from an earlier status.
 */
export function tagOfStatus(status: JobStatus): string | undefined {
  const data = status.data as { tag?: unknown; resultTag?: unknown } | undefined;
  if (status.state === 'completed' && typeof data?.resultTag === 'string') return data.resultTag;
  const match = /^fail:([^:]+):/.exec(status.failure?.message ?? '');
  if (status.state === 'failed' && match) return match[1];
  return typeof data?.tag === 'string' ? data.tag : (match?.[1] ?? (typeof data?.resultTag === 'string' ? data.resultTag : undefined));
}

export class ClientRecorder {
  readonly name: ClientName;
  readonly rooms: string[];
  readonly received: Received[] = [];
  client: JobcastClient | undefined;
  readonly #handles: SubscriptionHandle[] = [];
  readonly #url: string;
  /** Listener errors: statuses the suite could not read (should never happen). */
  readonly errors: string[] = [];

  constructor(name: ClientName, url: string) {
    this.name = name;
    this.#url = url;
    this.rooms = roomsOf(name);
  }

  start(): void {
    const client = createJobcastClient({
      url: this.#url,
      getToken: () => `user:${this.name}`,
      reconnectDelayMs: 100,
      reconnectDelayMaxMs: 1_000,
      ackTimeoutMs: 8_000,
      logSize: 0,
      socketOptions: { transports: ['websocket'] },
    });
    this.client = client;
    for (const room of this.rooms) this.#handles.push(client.subscribe(room, (event) => this.#record(event)));
  }

  #record(event: StatusEvent): void {
    try {
      this.received.push({
        room: event.room,
        queue: event.status.queue,
        jobId: event.status.jobId,
        incarnation: event.status.incarnation,
        tag: tagOfStatus(event.status),
        state: event.status.state,
        terminal: isTerminalStatus(event.status),
        event: event.event,
        at: Date.now(),
      });
    } catch (error) {
      if (this.errors.length < 20) this.errors.push(String(error));
    }
  }

  /** Every room subscribed and answered. */
  allActive(): boolean {
    return this.#handles.length > 0 && this.#handles.every((handle) => handle.getSnapshot().state === 'active');
  }

  roomStates(): string[] {
    return this.#handles.map((handle) => `${handle.room}:${handle.getSnapshot().state}`);
  }

  /** What each room shows now: room → `queue/jobId` → status. */
  view(): Map<string, Map<string, JobStatus>> {
    const view = new Map<string, Map<string, JobStatus>>();
    for (const handle of this.#handles) {
      const jobs = new Map<string, JobStatus>();
      // Keyed by the status's own queue and id, whatever key the client's room state uses.
      for (const status of Object.values(handle.getSnapshot().jobs)) jobs.set(jobKeyOf(status), status);
      view.set(handle.room, jobs);
    }
    return view;
  }

  gaps(): { detected: number; replayed: number; resynced: number } {
    let detected = 0;
    let replayed = 0;
    let resynced = 0;
    for (const handle of this.#handles) {
      const gaps = handle.getSnapshot().gaps as unknown as Record<string, number>;
      detected += Number(gaps.detected ?? 0);
      replayed += Number(gaps.replayed ?? 0);
      resynced += Number(gaps.resynced ?? 0);
    }
    return { detected, replayed, resynced };
  }

  disconnect(): void {
    this.client?.disconnect();
  }

  connect(): void {
    this.client?.connect();
  }

  close(): void {
    for (const handle of this.#handles.splice(0)) handle.unsubscribe();
    this.client?.close();
  }
}
