import type { TestProject } from 'vitest/node';
import { startRedisCluster, waitUntilHealthy, type RedisClusterHandle } from '../../scripts/redisCluster.js';
import { parseClusterNodes } from './clusterNodes.js';

let cluster: RedisClusterHandle | undefined;

/**
 * The Redis Cluster for the cluster tests: the one REDIS_CLUSTER_NODES names (`npm run
 * test:cluster` sets it to the cluster it started; a user may point it at their own), else a
 * throwaway 3-master cluster for this vitest run.
 */
export async function setup(project: TestProject) {
  const given = process.env.REDIS_CLUSTER_NODES;
  if (given) {
    const nodes = parseClusterNodes(given);
    await waitUntilHealthy(nodes);
    project.provide('clusterNodes', nodes);
    return;
  }
  cluster = await startRedisCluster({ masters: 3 });
  project.provide('clusterNodes', cluster.nodes);
}

export async function teardown() {
  await cluster?.dispose();
}
