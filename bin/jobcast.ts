#!/usr/bin/env node
/**
 * The jobcast command line:
 *   jobcast tail <room> [--url http://localhost:3000] [--token T]
 *   jobcast job <queue> <jobId> [--redis redis://…] [--key-prefix jobcast]
 *   jobcast doctor [--redis redis://…] [--queues a,b] [--expected-version V] [--json]
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { CLUSTER_NODE, formatFindings, runDoctor } from '../server/cli/doctor.js';
import { describeJob } from '../server/cli/jobTimeline.js';
import { tailRoom } from '../server/cli/tail.js';
import { isClusterNode } from '../server/redisConnection.js';

const USAGE = `usage:
  jobcast tail <room> [--url URL] [--token TOKEN]        print a room's events as they happen
  jobcast job <queue> <jobId> [--redis URL]              one job's record, rooms and timeline
  jobcast doctor [--redis URL] [--queues a,b] [--json]   check Redis, queues, workers, versions
Defaults: --url $JOBCAST_URL or http://localhost:3000, --token $JOBCAST_TOKEN, --redis $REDIS_URL or redis://127.0.0.1:6379
Exit codes: 0 done (tail: stopped with Ctrl-C), 1 error (doctor: a check failed), 2 usage,
3 connection refused (bad token, origin), 4 room rejected (FORBIDDEN, INVALID_ROOM), 5 job unknown`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    redis: { type: 'string' },
    'key-prefix': { type: 'string' },
    'bull-prefix': { type: 'string' },
    queues: { type: 'string' },
    'expected-version': { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
const [command, ...args] = positionals;
const redisUrl = values.redis ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const openRedis = () => new Redis(redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 5_000, lazyConnect: false });

async function main(): Promise<number> {
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!command) {
    console.error(USAGE);
    return 2;
  }
  if (command === 'tail' && args[0]) {
    const url = values.url ?? process.env.JOBCAST_URL ?? 'http://localhost:3000';
    const token = values.token ?? process.env.JOBCAST_TOKEN;
    let code = 0;
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const tail = tailRoom({
      url,
      room: args[0],
      ...(token ? { token } : {}),
      print: (line) => console.log(line),
      onGiveUp: (why) => {
        code = why === 'refused' ? 3 : 4;
        stop();
      },
    });
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await stopped;
    tail.close();
    return code;
  }
  if (command === 'job' && args[0] && args[1]) {
    const redis = openRedis();
    try {
      if (await isClusterNode(redis)) {
        console.error(`jobcast: ${CLUSTER_NODE}`);
        return 1;
      }
      const { text, found } = await describeJob({ redis, queue: args[0], jobId: args[1], ...(values['key-prefix'] ? { keyPrefix: values['key-prefix'] } : {}) });
      console.log(text);
      return found ? 0 : 5;
    } finally {
      redis.disconnect();
    }
  }
  if (command === 'doctor') {
    const redis = openRedis();
    redis.on('error', () => undefined); // reported as a finding
    try {
      const findings = await runDoctor({
        redis,
        ...(values.queues ? { queues: values.queues.split(',') } : {}),
        ...(values['bull-prefix'] ? { bullPrefix: values['bull-prefix'] } : {}),
        ...(values['expected-version'] ? { expectedVersion: values['expected-version'] } : {}),
      });
      console.log(values.json ? JSON.stringify(findings, null, 2) : formatFindings(findings));
      return findings.some((finding) => finding.level === 'fail') ? 1 : 0;
    } finally {
      redis.disconnect();
    }
  }
  console.error(USAGE);
  return 2;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`jobcast: ${(error as Error).message}`);
    process.exit(1);
  },
);
