import { Cluster, type ClusterOptions } from 'ioredis';

/**
 * Where a bench child process finds Redis: `REDIS_CLUSTER` (the masters' redis:// URLs,
 * comma-separated) for a Redis Cluster, else `REDIS_URL` for one Redis.
 */
export interface BenchRedisEnv {
  REDIS_URL?: string;
  REDIS_CLUSTER?: string;
}

/** The cluster's masters from `REDIS_CLUSTER`, or undefined on one Redis. */
export function clusterNodes(env: BenchRedisEnv): Array<{ host: string; port: number }> | undefined {
  if (!env.REDIS_CLUSTER) return undefined;
  return env.REDIS_CLUSTER.split(',').map((url) => {
    const { hostname, port } = new URL(url);
    return { host: hostname, port: Number(port) };
  });
}

/**
 * A Cluster client on `REDIS_CLUSTER`, or undefined on one Redis (where the callers keep
 * passing the URL, as the other phases do). BullMQ's blocking connections are duplicated from
 * it and need `maxRetriesPerRequest: null`.
 */
export function clusterClient(env: BenchRedisEnv, options: ClusterOptions = {}): Cluster | undefined {
  const nodes = clusterNodes(env);
  if (!nodes) return undefined;
  return new Cluster(nodes, { ...options, redisOptions: { maxRetriesPerRequest: null, ...options.redisOptions } });
}

/** BullMQ keys need one hash tag on a cluster, so a queue's keys share one slot. */
export const bullPrefixFor = (env: BenchRedisEnv) => (env.REDIS_CLUSTER ? '{bull}' : 'bull');
