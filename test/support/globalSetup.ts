import type { TestProject } from 'vitest/node';
import { startRedisServer, type RedisServerHandle } from '../../scripts/redisServer.js';
import { ensureSystemProgram } from '../../scripts/systemPackage.js';

let redis: RedisServerHandle | undefined;

/** One throwaway Redis for the run, unless REDIS_URL names one. Tests that kill Redis start their own. */
export async function setup(project: TestProject) {
  // The browser tests drive Debian's Chromium (playwright-core cannot download one here).
  if (!process.env.CHROMIUM_PATH) {
    ensureSystemProgram({
      program: 'chromium',
      debianPackage: 'chromium',
      candidates: ['/usr/bin/chromium'],
      instead: 'The browser tests need it: install Chromium (Debian/Ubuntu: `sudo apt-get install chromium`), or set CHROMIUM_PATH to a Chromium or Chrome binary.',
    });
  }
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

