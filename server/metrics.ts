import type { Queue } from 'bullmq';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobStatus, LifecycleEvent } from '../shared/index.js';
import type { IngestPhases } from './ingest/batchOutcome.js';

/**
 * Prometheus metrics of one jobcast server (its own registry, so several servers in one
 * process never collide). Counters of ingested events count only the node that ingested the
 * event first, so summing over nodes counts each event once; deliveries are per node.
 */
export class JobcastMetrics {
  readonly registry = new Registry();
  readonly #connectionsTotal: Counter;
  readonly #subscriptions: Counter;
  readonly #recoveries: Counter;
  readonly #broadcasts: Counter;
  readonly #deliveries: Counter;
  readonly #ingestLag: Histogram;
  readonly #ingestBusy: Counter;
  readonly #jobEvents: Counter;
  readonly #stepDuration: Histogram;
  readonly #slowConsumers: Counter;
  readonly #breaches: Counter;

  /** `connectedSockets` counts the sockets connected to this node now: the gauge reads it at each scrape. */
  constructor(queues: readonly Queue[], connectedSockets: () => number) {
    const registers = [this.registry];
    // Read, not counted up and down: no handshake refused, abandoned or cut short can make it drift.
    new Gauge({
      name: 'jobcast_connections',
      help: 'Sockets connected to this node',
      registers,
      collect() {
        this.set(connectedSockets());
      },
    });
    this.#connectionsTotal = new Counter({ name: 'jobcast_connections_total', help: 'Sockets accepted by this node', registers });
    this.#subscriptions = new Counter({
      name: 'jobcast_subscriptions_total',
      help: 'Subscribe requests by result code (OK or the error code)',
      labelNames: ['result'],
      registers,
    });
    this.#recoveries = new Counter({
      name: 'jobcast_recoveries_total',
      help: 'Resubscribes with a cursor, by outcome: replay, or resync with its reason',
      labelNames: ['outcome'],
      registers,
    });
    this.#broadcasts = new Counter({ name: 'jobcast_broadcasts_total', help: 'Status events emitted to rooms by this node', registers });
    this.#deliveries = new Counter({ name: 'jobcast_deliveries_total', help: 'Status events handed to sockets of this node', registers });
    this.#ingestLag = new Histogram({
      name: 'jobcast_ingest_lag_seconds',
      help: 'From BullMQ writing the event to jobcast ingesting it (a `waiting` that repeats `added` is ingested, not emitted)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.#ingestBusy = new Counter({
      name: 'jobcast_ingest_busy_seconds_total',
      help: 'Time this node spent ingesting, by queue and phase: read (waiting for a batch\'s records), build (its statuses), write (waiting for its Redis scripts), broadcast (handing its statuses to Socket.IO)',
      labelNames: ['queue', 'phase'],
      registers,
    });
    this.#jobEvents = new Counter({
      name: 'jobcast_job_events_total',
      help: 'Job lifecycle events ingested, by queue and event (failed, stalled, retrying…)',
      labelNames: ['queue', 'event'],
      registers,
    });
    this.#stepDuration = new Histogram({
      name: 'jobcast_step_duration_seconds',
      help: 'Duration of job steps reported by the worker helpers',
      labelNames: ['queue', 'step', 'status'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    });
    this.#breaches = new Counter({
      name: 'jobcast_limit_breaches_total',
      help: 'Refused messages and connections by code (RATE_LIMITED, PAYLOAD_TOO_LARGE, ORIGIN_NOT_ALLOWED…)',
      labelNames: ['code'],
      registers,
    });
    this.#slowConsumers = new Counter({ name: 'jobcast_slow_consumer_disconnects_total', help: 'Sockets cut off for not keeping up', registers });
    new Gauge({
      name: 'jobcast_failed_jobs',
      help: 'Jobs in the failed set per queue: the dead-letter depth',
      labelNames: ['queue'],
      registers,
      async collect() {
        const counts = await Promise.all(queues.map((queue) => queue.getFailedCount().catch(() => undefined)));
        queues.forEach((queue, index) => {
          const count = counts[index];
          if (count !== undefined) this.set({ queue: queue.name }, count);
        });
      },
    });
  }

  /** A socket was accepted (the gauge of open connections reads the sockets themselves). */
  connected(): void {
    this.#connectionsTotal.inc();
  }

  subscribed(result: string, recovery?: 'replay' | `resync:${string}`): void {
    this.#subscriptions.inc({ result });
    if (recovery) this.#recoveries.inc({ outcome: recovery });
  }

  /** A status this node ingested went out to its room (to every node with members in it). */
  broadcast(): void {
    this.#broadcasts.inc();
  }

  /** Statuses handed to this node's sockets, whichever node ingested them. */
  delivered(count: number): void {
    this.#deliveries.inc(count);
  }

  breach(code: string): void {
    this.#breaches.inc({ code });
  }

  slowConsumer(): void {
    this.#slowConsumers.inc();
  }

  /** One ingest batch's time, per phase (ms). */
  ingestBatch(queue: string, phases: IngestPhases): void {
    for (const [phase, ms] of Object.entries(phases)) this.#ingestBusy.inc({ queue, phase }, ms / 1_000);
  }

  /** One event ingested first by this node: counts it, its lag, and a finished step's duration. */
  ingested(queue: string, lifecycle: LifecycleEvent, status: JobStatus, lagMs: number | undefined): void {
    this.#jobEvents.inc({ queue, event: lifecycle });
    if (lagMs !== undefined && lagMs >= 0) this.#ingestLag.observe(lagMs / 1_000);
    const step = status.step;
    if (lifecycle === 'progress' && step && step.durationMs !== undefined && (step.status === 'completed' || step.status === 'failed')) {
      this.#stepDuration.observe({ queue, step: step.name, status: step.status }, step.durationMs / 1_000);
    }
  }
}
