import type { JobState, JobStatus, JobStep, LifecycleEvent } from '../../../shared/index.js';
import type { JobcastClient, JobcastRoom, JobcastStore } from '../../index.js';

/** One change of a job, as the panel saw it. */
export interface JobTimelineEntry {
  /** When the client saw it (epoch ms). */
  readonly at: number;
  /** 'event': a pushed or replayed event; 'snapshot': seen in the room's state (a subscribe snapshot, or no event hook). */
  readonly source: 'event' | 'snapshot';
  readonly room: string;
  readonly event?: LifecycleEvent;
  readonly seq?: number;
  readonly state: JobState;
  readonly step?: JobStep;
  readonly progress?: JobStatus['progress'];
  readonly attempt: number;
  /** Server ingest to client, for live events. */
  readonly latencyMs?: number;
}

/** A job's history as seen by this page, newest status in `latest`. */
export interface JobTimeline {
  readonly key: string;
  readonly jobId: string;
  readonly queue: string;
  readonly rooms: readonly string[];
  readonly latest: JobStatus;
  readonly entries: readonly JobTimelineEntry[];
  /** When the client last recorded something for it (epoch ms). */
  readonly seenAt: number;
}

/** Bounds of a {@link JobTimelineRecorder}. */
export interface TimelineLimits {
  /** @default 100 */
  readonly maxJobs: number;
  /** @default 100 */
  readonly maxEntries: number;
}

const signature = (status: JobStatus): string =>
  [status.state, status.updatedAt, status.attempt, status.step?.name, status.step?.status, JSON.stringify(status.progress ?? null)].join('|');

/**
 * Builds per-job timelines for the panel, since the core keeps only each job's latest status.
 * It follows the rooms the client holds: every applied event (live or replayed) through the
 * room store's event hook, and each room's snapshot for jobs that arrived in a subscribe
 * answer. It never holds a room itself, so reference counts stay the application's.
 */
export class JobTimelineRecorder implements JobcastStore<readonly JobTimeline[]> {
  readonly #client: JobcastClient;
  readonly #limits: TimelineLimits;
  readonly #now: () => number;
  readonly #jobs = new Map<string, JobTimeline>();
  readonly #attached = new Map<string, { store: JobcastRoom; detach: () => void }>();
  readonly #listeners = new Set<() => void>();
  #snapshot: readonly JobTimeline[] = [];
  #stop: (() => void) | undefined;
  #scheduled: ReturnType<typeof setTimeout> | undefined;

  constructor(client: JobcastClient, limits: Partial<TimelineLimits> = {}, now: () => number = Date.now) {
    this.#client = client;
    this.#limits = { maxJobs: limits.maxJobs ?? 100, maxEntries: limits.maxEntries ?? 100 };
    this.#now = now;
  }

  /** Timelines, the most recently changed job first; the same array until something is recorded. */
  getSnapshot = (): readonly JobTimeline[] => this.#snapshot;

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  };

  /** Starts following the client's rooms; returns the function that stops it. Starting twice is harmless. */
  start(): () => void {
    if (this.#stop) return this.#stop;
    const later = () => {
      this.#scheduled ??= setTimeout(() => {
        this.#scheduled = undefined;
        this.sync();
      }, 0);
    };
    const offLog = this.#client.log.subscribe(later);
    const offConnection = this.#client.connection.subscribe(later);
    // Reference counts change without a log entry; a slow poll notices held and released rooms.
    const timer = setInterval(later, 1_000);
    const stop = () => {
      offLog();
      offConnection();
      clearInterval(timer);
      clearTimeout(this.#scheduled);
      this.#scheduled = undefined;
      for (const { detach } of this.#attached.values()) detach();
      this.#attached.clear();
      if (this.#stop === stop) this.#stop = undefined;
    };
    this.#stop = stop;
    this.sync();
    return stop;
  }

  /** Attaches to newly held rooms, detaches from released ones, and records jobs seen in snapshots. */
  sync(): void {
    const { rooms } = this.#client.inspect();
    const held = new Set(rooms.map((room) => room.room));
    for (const [name, { detach }] of this.#attached) {
      if (!held.has(name)) {
        detach();
        this.#attached.delete(name);
      }
    }
    for (const { room, snapshot } of rooms) {
      if (!this.#attached.has(room)) {
        const store = this.#client.room(room);
        const detach = store.onEvent((event) =>
          this.record(event.room, event.status, { event: event.event, seq: event.seq, latencyMs: this.#now() - event.at }),
        );
        this.#attached.set(room, { store, detach });
      }
      for (const status of Object.values(snapshot.jobs)) this.record(room, status);
    }
  }

  /** Records a status unless it is the one last recorded for its job (the same change seen twice). */
  record(room: string, status: JobStatus, event?: { event: LifecycleEvent; seq: number; latencyMs?: number }): void {
    const key = `${status.queue}\n${status.jobId}`;
    const previous = this.#jobs.get(key);
    if (previous && (previous.latest === status || signature(previous.latest) === signature(status))) {
      if (!previous.rooms.includes(room)) this.#put(key, { ...previous, rooms: [...previous.rooms, room] });
      return;
    }
    // A snapshot may hold an older status than events already recorded (seen before the sync ran).
    if (previous && !event && status.updatedAt < previous.latest.updatedAt) return;
    const entry: JobTimelineEntry = {
      at: this.#now(),
      source: event ? 'event' : 'snapshot',
      room,
      ...(event ? { event: event.event, seq: event.seq } : {}),
      ...(event?.latencyMs === undefined ? {} : { latencyMs: event.latencyMs }),
      state: status.state,
      ...(status.step ? { step: status.step } : {}),
      ...(status.progress === undefined ? {} : { progress: status.progress }),
      attempt: status.attempt,
    };
    this.#put(key, {
      key,
      jobId: status.jobId,
      queue: status.queue,
      rooms: previous ? (previous.rooms.includes(room) ? previous.rooms : [...previous.rooms, room]) : [room],
      latest: status,
      entries: [...(previous?.entries ?? []), entry].slice(-this.#limits.maxEntries),
      seenAt: entry.at,
    });
  }

  #put(key: string, timeline: JobTimeline): void {
    // Re-insert so the Map's order is least recently changed first: the oldest job is evicted first.
    this.#jobs.delete(key);
    this.#jobs.set(key, timeline);
    while (this.#jobs.size > this.#limits.maxJobs) this.#jobs.delete(this.#jobs.keys().next().value as string);
    this.#snapshot = [...this.#jobs.values()].reverse();
    for (const listener of [...this.#listeners]) listener();
  }
}
