/**
 * Starts a throwaway Redis Cluster for tests and the benchmark: `masters` real redis-server
 * processes in cluster mode (each on a free port with its own temporary folder, see
 * redisServer.ts), the 16384 hash slots split evenly between them, no replicas.
 *
 * Built by hand with CLUSTER ADDSLOTSRANGE and CLUSTER MEET rather than `redis-cli --cluster
 * create`, so nothing but redis-server is needed and nothing waits on an interactive prompt.
 */
import { Cluster, Redis, type ClusterOptions } from 'ioredis';
import { startRedisServer, type RedisServerHandle } from './redisServer.js';

/** Number of hash slots in every Redis Cluster. */
const SLOTS = 16_384;

export interface ClusterNodeAddress {
  host: string;
  port: number;
}

export interface RedisClusterHandle {
  /** The masters' addresses, in slot order (the first owns slot 0). */
  nodes: ClusterNodeAddress[];
  /** The same as `redis://` URLs. */
  urls: string[];
  /** A new ioredis Cluster client on these nodes (the caller closes it). */
  newClient(options?: ClusterOptions): Cluster;
  /**
   * SIGKILLs master `index`. With no replicas its slots are uncovered until `restart`, and by
   * default (cluster-require-full-coverage) the whole cluster refuses commands meanwhile.
   */
  kill(index: number): Promise<void>;
  /** Starts master `index` again on its port and folder (it keeps its node id and slots, not its data) and waits for the cluster to be healthy. */
  restart(index: number): Promise<void>;
  /** Stops every process and deletes every folder. Safe to call twice. */
  dispose(): Promise<void>;
}

export interface RedisClusterOptions {
  /** How many masters share the slots. @default 3 */
  masters?: number;
  /** How long to wait for every node to agree the cluster is healthy. @default 30000 */
  readyTimeoutMs?: number;
}

/** Starts the processes, assigns the slots, joins the nodes and resolves once they all agree. */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const masters = options.masters ?? 3;
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  if (!Number.isInteger(masters) || masters < 1) throw new TypeError(`masters must be a positive integer, got ${masters}`);

  const servers: RedisServerHandle[] = [];
  const dispose = async () => {
    await Promise.all(servers.map((server) => server.dispose()));
  };
  try {
    servers.push(...(await Promise.all(Array.from({ length: masters }, () => startRedisServer({ clusterEnabled: true })))));
    const nodes = servers.map((server) => ({ host: '127.0.0.1', port: server.port }));
    await withAdmin(nodes, async (admins) => {
      // Contiguous ranges, the last one taking the remainder: 3 masters get 0-5460, 5461-10921, 10922-16383.
      const share = Math.floor(SLOTS / masters);
      await Promise.all(
        admins.map((admin, index) => {
          const first = index * share;
          const last = index === masters - 1 ? SLOTS - 1 : first + share - 1;
          return admin.call('CLUSTER', 'ADDSLOTSRANGE', first, last);
        }),
      );
      // One MEET per other node is enough: the gossip protocol introduces them to each other.
      await Promise.all(admins.slice(1).map((_, index) => admins[0]!.call('CLUSTER', 'MEET', nodes[index + 1]!.host, nodes[index + 1]!.port)));
    });
    await waitUntilHealthy(nodes, { timeoutMs: readyTimeoutMs, knownNodes: masters });

    return {
      nodes,
      urls: nodes.map((node) => `redis://${node.host}:${node.port}`),
      newClient: (clientOptions) => new Cluster(nodes, clientOptions),
      kill: (index) => serverAt(servers, index).kill(),
      restart: async (index) => {
        const server = serverAt(servers, index);
        await server.kill();
        await server.start();
        await waitUntilHealthy(nodes, { timeoutMs: readyTimeoutMs, knownNodes: masters });
      },
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/**
 * Resolves once every node in `nodes` says `cluster_state:ok` (and knows `knownNodes` nodes,
 * when given) and they all return the same CLUSTER SLOTS map: before that a client may be
 * bounced with MOVED between nodes that disagree.
 */
export async function waitUntilHealthy(nodes: ClusterNodeAddress[], options: { timeoutMs?: number; knownNodes?: number } = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const known = options.knownNodes === undefined ? /^cluster_known_nodes:/m : new RegExp(`^cluster_known_nodes:${options.knownNodes}\\s*$`, 'm');
  let last = 'no answer yet';
  await withAdmin(nodes, async (admins) => {
    for (;;) {
      try {
        const views = await Promise.all(
          admins.map(async (admin) => {
            const info = await admin.call('CLUSTER', 'INFO') as string;
            const slots = (await admin.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, ...unknown[]]]>;
            return { info, slots: describeSlots(slots) };
          }),
        );
        const unhealthy = views.findIndex(({ info }) => !/^cluster_state:ok\s*$/m.test(info) || !known.test(info));
        if (unhealthy >= 0) last = `node ${nodes[unhealthy]!.port} says ${views[unhealthy]!.info.split(/\r?\n/).filter((line) => /cluster_(state|known_nodes|slots_assigned)/.test(line)).join(', ')}`;
        else if (views.some((view) => view.slots !== views[0]!.slots)) last = `the nodes disagree on the slot map: ${views.map((view) => view.slots).join(' | ')}`;
        else return;
      } catch (error) {
        last = String(error);
      }
      if (Date.now() > deadline) throw new Error(`the Redis Cluster on ports ${nodes.map((node) => node.port).join(', ')} was not healthy within ${timeoutMs} ms: ${last}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
}

/** "0-5460@7001,5461-10921@7002,…": a slot map in a form two nodes' answers can be compared in. */
function describeSlots(slots: Array<[number, number, [string, number, ...unknown[]]]>): string {
  return slots
    .map(([first, last, [, port]]) => ({ first, last, port }))
    .sort((a, b) => a.first - b.first)
    .map(({ first, last, port }) => `${first}-${last}@${port}`)
    .join(',');
}

/** Runs `work` with one plain (non-cluster) connection per node, closed afterwards. */
async function withAdmin<T>(nodes: ClusterNodeAddress[], work: (admins: Redis[]) => Promise<T>): Promise<T> {
  // No retries: a node that is down should fail the command now, and the caller decides to wait.
  const admins = nodes.map((node) => new Redis({ ...node, maxRetriesPerRequest: 0, enableOfflineQueue: true, retryStrategy: () => 200 }));
  for (const admin of admins) admin.on('error', () => undefined);
  try {
    return await work(admins);
  } finally {
    for (const admin of admins) admin.disconnect();
  }
}

function serverAt(servers: RedisServerHandle[], index: number): RedisServerHandle {
  const server = servers[index];
  if (!server) throw new RangeError(`no master ${index} (there are ${servers.length})`);
  return server;
}
