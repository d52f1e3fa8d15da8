import 'vitest';
import type { ClusterNodeAddress } from '../../scripts/redisCluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Redis Cluster the cluster tests run on (see test/cluster/globalSetup.ts). */
    clusterNodes: ClusterNodeAddress[];
  }
}
