import type { TestProject } from 'vitest/node';
import { startRedisServer, type RedisServerHandle } from '../../scripts/redisServer.js';

let redis: RedisServerHandle | undefined;

/** One throwaway Redis for the run, unless REDIS_URL names one. Tests that kill Redis start their own. */
export async function setup(project: TestProject) {
  if (process.env.REDIS_URL) {
    project.provide('redisUrl', process.env.REDIS_URL);
    return;
  }
  redis = await startRedisServer();
  project.provide('redisUrl', redis.url);
}

export async function teardown() {
  await redis?.dispose();
}

