/**
 * The cluster's address list as it travels between the runner, vitest and the jobcast node
 * processes: `REDIS_CLUSTER_NODES=127.0.0.1:7000,127.0.0.1:7001` (`redis://` URLs work too).
 * No vitest imports here, so scripts and child processes can use it.
 */
import type { ClusterNodeAddress } from '../../scripts/redisCluster.js';

export type { ClusterNodeAddress };

/** Parses `host:port,host:port` (or `redis://host:port,…`); throws on anything else. */
export function parseClusterNodes(text: string): ClusterNodeAddress[] {
  const nodes = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const url = new URL(/^rediss?:\/\//.test(part) ? part : `redis://${part}`);
      const port = Number(url.port);
      if (!url.hostname || !Number.isInteger(port) || port <= 0) throw new Error(`REDIS_CLUSTER_NODES: not a host:port: ${part}`);
      return { host: url.hostname, port };
    });
  if (nodes.length === 0) throw new Error('REDIS_CLUSTER_NODES names no node');
  return nodes;
}

/** The inverse of {@link parseClusterNodes}. */
export const formatClusterNodes = (nodes: readonly ClusterNodeAddress[]) => nodes.map((node) => `${node.host}:${node.port}`).join(',');
