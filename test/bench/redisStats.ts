import type { Redis } from 'ioredis';

/** Redis's own counters at one moment: calls per command and CPU seconds. */
export interface RedisCounters {
  calls: Map<string, number>;
  cpuMs: number;
}

export async function readRedisCounters(redis: Redis): Promise<RedisCounters> {
  const [commandStats, cpu] = await Promise.all([redis.info('commandstats'), redis.info('cpu')]);
  const calls = new Map<string, number>();
  for (const match of commandStats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(match[1]!, Number(match[2]));
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? 0);
  return { calls, cpuMs: (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1_000 };
}

/**
 * Redis work between two readings, per job: CPU time and calls per command (the eight most
 * called, plus the total), for everything on this Redis: producer, workers and the relay.
 */
export function redisWorkPerJob(before: RedisCounters, after: RedisCounters, jobs: number): { cpuMicros: number; calls: number; top: Record<string, number> } {
  const perJob: Array<[string, number]> = [];
  let total = 0;
  for (const [command, count] of after.calls) {
    const delta = count - (before.calls.get(command) ?? 0);
    if (delta <= 0 || command === 'info') continue;
    total += delta;
    perJob.push([command, delta / jobs]);
  }
  perJob.sort((a, b) => b[1] - a[1]);
  return {
    cpuMicros: ((after.cpuMs - before.cpuMs) * 1_000) / jobs,
    calls: total / jobs,
    top: Object.fromEntries(perJob.slice(0, 8).map(([command, calls]) => [command, Number(calls.toFixed(2))])),
  };
}

/** The counters of several Redis processes (a cluster's masters) added up. */
export async function readRedisCountersOf(clients: Redis[]): Promise<RedisCounters> {
  const readings = await Promise.all(clients.map(readRedisCounters));
  const calls = new Map<string, number>();
  for (const reading of readings) for (const [command, count] of reading.calls) calls.set(command, (calls.get(command) ?? 0) + count);
  return { calls, cpuMs: readings.reduce((sum, reading) => sum + reading.cpuMs, 0) };
}
