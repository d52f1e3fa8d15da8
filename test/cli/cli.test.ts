import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { startRedisServer } from '../../scripts/redisServer.js';
import { openQueue, startStack, startWorker, uniqueName, waitFor } from '../support/stack.js';

const TSX = createRequire(import.meta.url).resolve('tsx');
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Runs `jobcast …` from the TypeScript source, collecting its output. */
function jobcast(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', TSX, 'bin/jobcast.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanups.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return { child, output: () => output, exited };
}

describe('jobcast CLI', () => {
  it('exits with a code a script can trust: 3 on a refused token, 4 on a rejected room, 5 on an unknown job, 0 for --help', async () => {
    const queue = uniqueName('cli');
    const stack = await startStack({ queues: [queue] });
    cleanups.push(() => stack.close());
    const refused = jobcast(['tail', 'document:1', '--url', stack.url, '--token', 'not-a-user']);
    expect(await refused.exited).toBe(3);
    expect(refused.output()).toContain('UNAUTHENTICATED');
    const invalid = jobcast(['tail', 'documnet:1', '--url', stack.url, '--token', 'user:alice']);
    expect(await invalid.exited).toBe(4);
    expect(invalid.output()).toContain('INVALID_ROOM');
    const unknown = jobcast(['job', queue, 'no-such-job', '--redis', stack.redisUrl, '--key-prefix', stack.keyPrefix]);
    expect(await unknown.exited).toBe(5);
    expect(await jobcast(['--help']).exited).toBe(0);
  });


  it('tail prints a room\'s events as they happen', async () => {
    const queue = uniqueName('cli');
    const stack = await startStack({ queues: [queue] });
    cleanups.push(() => stack.close());
    const tail = jobcast(['tail', 'document:1', '--url', stack.url, '--token', 'user:alice']);
    await waitFor(() => tail.output().includes('-- subscribed to document:1'), 'the tail to subscribe', 60_000);
    const worker = startWorker(queue, async (job) => {
      await job.updateProgress(40);
      return 'ok';
    });
    cleanups.push(() => worker.close());
    const { jobId } = await stack.server.enqueue(queue, 'summarize', {}, { rooms: ['document:1'] });
    await waitFor(() => tail.output().includes(`completed`), 'the completion line');
    const lines = tail.output().split('\n').filter((line) => line.includes(`${queue}/${jobId}`));
    // BullMQ's `waiting` right after `added` changes nothing on the page: it is not sent.
    expect(lines.map((line) => line.split(/\s+/)[2])).toEqual(['added', 'active', 'progress', 'completed']);
    expect(lines[2]).toContain('40%');
    expect(lines[3]).toMatch(/#4 completed\s+\S+ completed attempt 1\/3/);
    tail.child.kill('SIGINT');
    expect(await tail.exited).toBe(0);
  });

  it('doctor reports a queue with no worker and fails', async () => {
    const queue = uniqueName('cli');
    const plain = openQueue(queue);
    cleanups.push(() => plain.close());
    await plain.add('stuck', {});
    const doctor = jobcast(['doctor', '--redis', inject('redisUrl'), '--queues', queue]);
    expect(await doctor.exited).toBe(1);
    expect(doctor.output()).toContain('ok    redis: reachable');
    expect(doctor.output()).toContain(`FAIL  queue ${queue}: no worker listens on this queue (1 waiting)`);
  });

  it('doctor fails a paused queue with waiting jobs, and a queue whose only worker takes no jobs', async () => {
    const paused = uniqueName('cli');
    const pausedQueue = openQueue(paused);
    cleanups.push(() => pausedQueue.close());
    await pausedQueue.pause();
    await pausedQueue.add('parked', {});
    const idle = uniqueName('cli');
    const idleQueue = openQueue(idle);
    cleanups.push(() => idleQueue.close());
    // Never run (autorun: false): connected and named as BullMQ names workers, taking nothing.
    const worker = new Worker(idle, async () => undefined, { connection: { url: inject('redisUrl') }, autorun: false });
    cleanups.push(() => worker.close());
    await worker.waitUntilReady();
    await idleQueue.add('unclaimed', {});
    const doctorSays = async () => {
      const doctor = jobcast(['doctor', '--redis', inject('redisUrl'), '--queues', `${paused},${idle}`]);
      return { code: await doctor.exited, output: doctor.output() };
    };
    const first = await doctorSays();
    expect(first.code).toBe(1);
    expect(first.output).toContain(`FAIL  queue ${paused}: paused: no worker takes its jobs until queue.resume() (1 waiting)`);
    // Said once the worker's connection has been quiet for 10 s.
    const later = await waitFor(async () => {
      const said = await doctorSays();
      return said.output.includes(`queue ${idle}: 1 worker(s) connected, but none`) ? said : undefined;
    }, 'the worker taking no jobs', 60_000);
    expect(later.output).toContain(`FAIL  queue ${idle}: 1 worker(s) connected, but none has waited for a job or run one for 10 s (paused with worker.pause(), never run, or stuck): 1 waiting`);
  });

  it('doctor and job say so and fail when pointed at a Redis Cluster node', async () => {
    const node = await startRedisServer({ clusterEnabled: true });
    cleanups.push(() => node.dispose());
    const doctor = jobcast(['doctor', '--redis', node.url]);
    expect(await doctor.exited).toBe(1);
    expect(doctor.output()).toContain('FAIL  redis: this Redis is a node of a Redis Cluster');
    const job = jobcast(['job', 'summaries', '1', '--redis', node.url]);
    expect(await job.exited).toBe(1);
    expect(job.output()).toContain('does not read a cluster yet');
  });

  it('job prints one job with its rooms and timeline, failure text included', async () => {
    const queue = uniqueName('cli');
    const stack = await startStack({ queues: [queue] });
    cleanups.push(() => stack.close());
    const worker = startWorker(queue, async () => {
      throw new Error('the upstream API said 503');
    });
    cleanups.push(() => worker.close());
    const { jobId } = await stack.server.enqueue(queue, 'fragile', {}, { rooms: ['document:3'], attempts: 1 });
    const plain = openQueue(queue);
    cleanups.push(() => plain.close());
    await waitFor(async () => (await plain.getJob(jobId))?.failedReason, 'the failure');
    await waitFor(async () => {
      const res = await fetch(`${stack.url}/jobcast/rooms/document:3`, { headers: { authorization: 'Bearer user:a' } });
      return ((await res.json()) as { seq: number }).seq >= 3; // added, active, failed
    }, 'the failure to reach the room');
    const job = jobcast(['job', queue, jobId, '--redis', stack.redisUrl, '--key-prefix', stack.keyPrefix]);
    expect(await job.exited).toBe(0);
    expect(job.output()).toContain(`job ${queue}/${jobId} "fragile": failed, attempts 1/1`);
    expect(job.output()).toContain('failed reason: the upstream API said 503');
    expect(job.output()).toContain('rooms: document:3');
    expect(job.output()).toMatch(/#3 failed/);
  });
});
