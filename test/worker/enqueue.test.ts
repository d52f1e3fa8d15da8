import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  JobDataError,
  SAFE_JOB_DEFAULTS,
  createTypedEnqueuer,
  defineJobs,
  enqueue,
  readPackageVersion,
  resolveWorkerIdentity,
} from '../../server/worker/index.js';
import { uniqueName } from '../support/stack.js';
import { onCleanup, readQueue, redisUrl } from './helpers.js';

const jobs = defineJobs({
  summarize: z.object({ documentId: z.number().int().positive(), language: z.enum(['en', 'fr']).default('en') }),
  export: z.object({ format: z.literal('csv') }),
});

function setup() {
  const queue = uniqueName('enqueue');
  const keyPrefix = uniqueName('jc');
  const enqueuer = createTypedEnqueuer({ redis: redisUrl(), keyPrefix, jobs });
  onCleanup(() => enqueuer.close());
  const redis = new Redis(redisUrl());
  onCleanup(() => redis.quit());
  return { queue, keyPrefix, enqueuer, redis, reader: readQueue(queue) };
}

describe('createTypedEnqueuer', () => {
  it('refuses a bad payload with an error naming the job and its issues, and enqueues nothing', async () => {
    const { queue, keyPrefix, enqueuer, redis, reader } = setup();
    // @ts-expect-error documentId must be a number: the types refuse it before zod does.
    const attempt = enqueuer.enqueue(queue, 'summarize', { documentId: 'forty-two' }, { rooms: ['document:42'] });
    const error = await attempt.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JobDataError);
    expect(error).toMatchObject({ name: 'JobDataError', jobName: 'summarize' });
    expect((error as JobDataError).message).toMatch(/Invalid data for job "summarize"/);
    expect((error as JobDataError).message).toMatch(/documentId/);
    expect((error as JobDataError).issues[0]?.path).toEqual(['documentId']);
    // @ts-expect-error an unknown job name is refused by the types and at run time.
    await expect(enqueuer.enqueue(queue, 'unknown', {}, { rooms: ['document:42'] })).rejects.toThrow(/No schema for job "unknown"/);
    const counts = await reader.getJobCounts();
    expect(Object.values(counts).every((count) => count === 0)).toBe(true);
    expect(await redis.keys(`${keyPrefix}:*`)).toEqual([]);
  });

  it('creates a correlation id when none is given and stores the parsed data with the routing', async () => {
    const { queue, enqueuer, reader } = setup();
    const first = await enqueuer.enqueue(queue, 'summarize', { documentId: 42 }, { rooms: ['document:42'] });
    const second = await enqueuer.enqueue(queue, 'summarize', { documentId: 42 }, { rooms: ['document:42'] });
    expect(first.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.correlationId).not.toBe(first.correlationId);
    expect(first.parentJobId).toBeUndefined();
    const job = (await reader.getJob(first.jobId))!;
    // The schema's default was applied; outside a job there is no parent.
    expect(job.data).toEqual({ documentId: 42, language: 'en', jobcast: { rooms: ['document:42'], correlationId: first.correlationId } });
  });

  it('applies the safe defaults, each overridable per call', async () => {
    const { queue, enqueuer, reader } = setup();
    const { jobId } = await enqueuer.enqueue(queue, 'export', { format: 'csv' }, { rooms: ['document:1'] });
    const job = (await reader.getJob(jobId))!;
    expect(SAFE_JOB_DEFAULTS.attempts).toBeGreaterThan(1);
    expect(job.opts).toMatchObject({
      attempts: 3,
      backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 },
      removeOnFail: { age: 7 * 24 * 3600, count: 5_000 },
      removeOnComplete: { age: 24 * 3600, count: 1_000 },
    });
    const overridden = await enqueuer.enqueue(queue, 'export', { format: 'csv' }, { rooms: ['document:1'], attempts: 5, removeOnFail: false });
    expect((await reader.getJob(overridden.jobId))!.opts).toMatchObject({ attempts: 5, removeOnFail: false, backoff: { jitter: 0.5 } });
  });

  it('refuses missing or invalid rooms outside a job', async () => {
    const { queue, enqueuer, reader } = setup();
    await expect(enqueuer.enqueue(queue, 'export', { format: 'csv' })).rejects.toThrow(/needs `rooms`/);
    await expect(enqueuer.enqueue(queue, 'export', { format: 'csv' }, { rooms: ['no room'] })).rejects.toThrow(/Invalid room name/);
    expect(await reader.count()).toBe(0);
  });

  it('refuses the in-job enqueue() outside a job', async () => {
    await expect(enqueue('q', 'n', {})).rejects.toThrow(/enqueue\(\) was called outside a jobcast job/);
  });
});

describe('resolveWorkerIdentity', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('reports host, pid and the version from the option, APP_VERSION, npm_package_version or package.json, in that order', () => {
    vi.stubEnv('APP_VERSION', '2.0.0-env');
    vi.stubEnv('npm_package_version', '1.0.0-npm');
    expect(resolveWorkerIdentity('3.0.0-option')).toEqual({ host: expect.any(String), pid: process.pid, version: '3.0.0-option' });
    expect(resolveWorkerIdentity().version).toBe('2.0.0-env');
    vi.stubEnv('APP_VERSION', undefined);
    expect(resolveWorkerIdentity().version).toBe('1.0.0-npm');
    vi.stubEnv('npm_package_version', undefined);
    // Then the nearest package.json of the working directory: this repository's.
    expect(resolveWorkerIdentity().version).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });

  it('reads the version of the nearest package.json above a directory', () => {
    const root = mkdtempSync(join(tmpdir(), 'jobcast-version-'));
    onCleanup(() => rmSync(root, { recursive: true, force: true }));
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'app', version: '4.5.6' }));
    const nested = join(root, 'src', 'jobs');
    mkdirSync(nested, { recursive: true });
    expect(readPackageVersion(nested)).toBe('4.5.6');
  });
});
