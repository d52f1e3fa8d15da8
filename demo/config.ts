/**
 * What every demo process agrees on: the names of the queue and the Redis keys (one set per
 * namespace, so tests never collide with `npm run demo` on a shared Redis), the app versions,
 * the steps of a summary job and the users.
 */
import { z } from 'zod';
import { defineJobs } from '../server/worker/index.js';

/** The app version the server expects its workers to run. */
export const APP_VERSION = '2.4.0';
/** What "start an old worker" runs: code from before the last deploy. */
export const OLD_APP_VERSION = '2.3.1';

export { STEPS, type StepName } from './steps.js';

/** The demo users. Tokens are issued to them by `POST /api/session` (it is a demo: no password). */
export const USERS = ['alice', 'bob'] as const;
export type DemoUser = (typeof USERS)[number];
export const isDemoUser = (value: unknown): value is DemoUser => USERS.includes(value as DemoUser);

/** A fault the worker injects into a step: the next run only, or every run. */
export const FaultModeSchema = z.enum(['off', 'once', 'always']);
export type FaultMode = z.infer<typeof FaultModeSchema>;

/** Retries of a summary job: 4 attempts, 2 s, 4 s, 8 s apart (no jitter, so the countdown is exact). */
export const SUMMARY_JOB_OPTIONS = { attempts: 4, backoff: { type: 'exponential', delay: 2_000 } } as const;

/** The jobs of the demo and their data, shared by the API (typed enqueue) and the worker. */
export const jobs = defineJobs({ summarize: z.object({ documentId: z.string().min(1).max(20) }) });

/** The reason the worker throws for an injected fault; the server turns it into a safe public message. */
export const FAULT_REASON_PREFIX = 'Injected fault in step';

/** Names of the queue and of every Redis key the demo uses. */
export interface DemoNames {
  namespace: string | undefined;
  queue: string;
  /** jobcast's own key prefix (rooms, routes, checkpoints). */
  keyPrefix: string;
  /** The app's keys: documents, summaries, faults. */
  appPrefix: string;
}

/**
 * The names for a namespace; without one, the plain names `npm run demo` uses.
 * @example namesFor('e2e-1a2b') // { queue: 'e2e-1a2b-summaries', keyPrefix: 'e2e-1a2b-jobcast', appPrefix: 'e2e-1a2b-demo' }
 */
export function namesFor(namespace?: string): DemoNames {
  if (namespace !== undefined && !/^[A-Za-z0-9_.-]{1,40}$/.test(namespace)) {
    throw new TypeError(`namespace must be 1-40 letters, digits, _ . or -, got ${JSON.stringify(namespace)}`);
  }
  if (!namespace) return { namespace: undefined, queue: 'summaries', keyPrefix: 'jobcast', appPrefix: 'demo' };
  return { namespace, queue: `${namespace}-summaries`, keyPrefix: `${namespace}-jobcast`, appPrefix: `${namespace}-demo` };
}

/** What the supervisor hands its child processes (as JSON in JOBCAST_DEMO). */
export interface ChildConfig {
  redisUrl: string;
  namespace?: string;
  /** Web server only: where to listen. */
  host?: string;
  port?: number;
  /** Log level of the worker's structured step logs. @default 'warn' */
  logLevel?: string;
}

/** Reads the config a child process was started with. */
export function readChildConfig(): ChildConfig {
  const raw = process.env.JOBCAST_DEMO;
  if (!raw) throw new Error('This file is started by demo/startDemo.ts (JOBCAST_DEMO is not set). Run `npm run demo`.');
  return JSON.parse(raw) as ChildConfig;
}
