/**
 * `tsx test/bench/profile.ts`: the 10,000-client real-worker phase once more, against jobcast
 * only, with `--cpu-prof` on the server node, then where its CPU went while idle (every client
 * subscribed, no job) and under load. Env as `npm run bench` (BENCH_QUICK=1: 2,000 clients,
 * 3 s; PROFILE_RATE and PROFILE_CLIENTS pick another shape); PROFILE_MODE=raw|events profiles a relay instead; PROFILE_DIR keeps the profile.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedisServer } from '../../scripts/redisServer.js';
import { summarizeProfile } from './profileSummary.js';
import type { Mode } from './relay.js';
import { measureWorkerShape } from './workerPhases.js';

const quick = process.env.BENCH_QUICK === '1';
const mode = (process.env.PROFILE_MODE ?? 'jobcast') as Mode;
const dir = process.env.PROFILE_DIR ?? mkdtempSync(join(tmpdir(), 'jobcast-profile-'));
const redisServer = process.env.REDIS_URL ? undefined : await startRedisServer();
const redisUrl = process.env.REDIS_URL ?? redisServer!.url;
const redis = new Redis(redisUrl);
const log = (line: string) => console.log(`[profile] ${line}`);
const percent = (share: number) => `${(share * 100).toFixed(1).padStart(5)} %`;

try {
  const windows = {} as Record<'idle' | 'load', [number, number]>;
  const rate = Number(process.env.PROFILE_RATE ?? 500);
  const clients = Number(process.env.PROFILE_CLIENTS ?? (quick ? 2_000 : 10_000));
  const durationMs = quick ? 3_000 : 10_000;
  const shape = { label: `${rate}/s × ${clients} clients`, rate, clients, durationMs };
  await measureWorkerShape({ mode, shape, redisUrl, redis, warmUpMs: quick ? 500 : 2_000, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`], windows, log });
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile written in ${dir}`);
  log(`profile: ${join(dir, file)}`);
  for (const [name, window] of Object.entries(windows)) {
    const summary = summarizeProfile(join(dir, file), window);
    console.log(`\n== ${name} (${window.join('–')} µs): ${summary.totalMs.toFixed(0)} ms of samples`);
    console.log('-- self time by place');
    for (const [place, share] of summary.self) console.log(`${percent(share)}  ${place}`);
    console.log('-- on the stack (inclusive) by place');
    for (const [place, share] of summary.inclusive) console.log(`${percent(share)}  ${place}`);
    console.log('-- functions by self time');
    for (const [fn, share] of summary.functions) console.log(`${percent(share)}  ${fn}`);
    console.log("-- jobcast's own functions, inclusive");
    for (const [fn, share] of summary.ownFunctions) console.log(`${percent(share)}  ${fn}`);
  }
} finally {
  redis.disconnect();
  await redisServer?.dispose();
}
process.exit(0);
