/**
 * jobcast on a Redis Cluster: `npm run test:cluster`.
 *
 * Starts one throwaway Redis Cluster (three redis-server masters on free ports, own temporary
 * folders, stopped at the end), runs each step below against it, and ends with one line
 * `N passed, N failed`; exits non-zero when anything failed.
 *
 *   npm run test:cluster                                  every step
 *   npm run test:cluster -- test/cluster/nodeKilled       extra arguments go to vitest (a file filter, -t …)
 *   REDIS_CLUSTER_NODES=10.0.0.5:7000,10.0.0.6:7000 npm run test:cluster    on your own cluster instead
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startRedisCluster, type RedisClusterHandle } from '../../scripts/redisCluster.js';
import { formatRun } from '../conformance/report.js';
import { runSeed } from '../conformance/suite.js';
import { formatClusterNodes, parseClusterNodes, type ClusterNodeAddress } from './clusterNodes.js';

export interface ClusterStepContext {
  /** The cluster's masters. */
  nodes: ClusterNodeAddress[];
  /** Extra command-line arguments (after `--`). */
  args: string[];
  log(line: string): void;
}

export interface ClusterStepResult {
  passed: number;
  failed: number;
}

export interface ClusterStep {
  name: string;
  run(context: ClusterStepContext): Promise<ClusterStepResult>;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VITEST = createRequire(import.meta.url).resolve('vitest/vitest.mjs');

/** The multi-node tests (test/cluster/*.test.ts) in vitest, counted from its JSON report. */
const multiNodeTests: ClusterStep = {
  name: 'multi-node tests',
  run: async ({ nodes, args, log }) => {
    const reportDir = mkdtempSync(join(tmpdir(), 'jobcast-cluster-report-'));
    const report = join(reportDir, 'vitest.json');
    try {
      const code = await new Promise<number>((resolve) => {
        const child = spawn(
          process.execPath,
          [VITEST, 'run', '--config', 'vitest.cluster.config.ts', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...args],
          { cwd: ROOT, stdio: 'inherit', env: { ...process.env, REDIS_CLUSTER_NODES: formatClusterNodes(nodes) } },
        );
        child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
      });
      let parsed: VitestJsonReport;
      try {
        parsed = JSON.parse(readFileSync(report, 'utf8')) as VitestJsonReport;
      } catch {
        log(`vitest exited with ${code} and wrote no report`);
        return { passed: 0, failed: 1 };
      }
      // A file that fails before its tests run (an import, a beforeAll) fails no test: count it once.
      const brokenFiles = parsed.testResults.filter((file) => file.status === 'failed' && !file.assertionResults.some((test) => test.status === 'failed'));
      for (const file of brokenFiles) log(`${file.name.replace(ROOT, '')} failed outside its tests: ${file.message ?? ''}`.split('\n')[0]!);
      const failed = parsed.numFailedTests + brokenFiles.length;
      // Vitest may also fail a run for errors outside any file (an unhandled rejection).
      return { passed: parsed.numPassedTests, failed: failed === 0 && code !== 0 ? 1 : failed };
    } finally {
      rmSync(reportDir, { recursive: true, force: true });
    }
  },
};

/**
 * The conformance suite's short seed (as in `npm test`), on a Redis Cluster. It starts a cluster
 * of its own, as its Redis faults stop and start masters; REDIS_CLUSTER_NODES does not apply.
 */
const conformanceShortSeed: ClusterStep = {
  name: 'conformance short seed',
  run: async ({ log }) => {
    const seed = Number(process.env.CONFORMANCE_SEED ?? 11);
    const result = await runSeed({ seed, jobs: 400, faults: true, cluster: true, convergenceTimeoutMs: 60_000 });
    log(formatRun(result, 5));
    // A run too small to mean anything, or one that misrouted or lost a status, fails even if no check did.
    const broken = result.jobs <= 300 || result.misrouted > 0 || result.lostTerminal > 0;
    return { passed: result.passed, failed: result.failed + (broken && result.failed === 0 ? 1 : 0) };
  },
};

interface VitestJsonReport {
  numPassedTests: number;
  numFailedTests: number;
  testResults: Array<{ name: string; status: string; message?: string; assertionResults: Array<{ status: string }> }>;
}

/** What `npm run test:cluster` runs, in order, against the one cluster. */
export const steps: ClusterStep[] = [multiNodeTests, conformanceShortSeed];

async function main(): Promise<number> {
  const started = Date.now();
  const args = process.argv.slice(2);
  const log = (line: string) => console.log(`[cluster ${((Date.now() - started) / 1000).toFixed(0)}s] ${line}`);
  let cluster: RedisClusterHandle | undefined;
  const stop = async () => {
    await cluster?.dispose();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping the Redis Cluster`);
      void stop().finally(() => process.exit(130));
    });
  }
  const totals = { passed: 0, failed: 0 };
  try {
    let nodes: ClusterNodeAddress[];
    if (process.env.REDIS_CLUSTER_NODES) {
      nodes = parseClusterNodes(process.env.REDIS_CLUSTER_NODES);
      log(`using the Redis Cluster at ${formatClusterNodes(nodes)} (REDIS_CLUSTER_NODES)`);
    } else {
      cluster = await startRedisCluster({ masters: 3 });
      nodes = cluster.nodes;
      log(`started a Redis Cluster of ${nodes.length} masters at ${formatClusterNodes(nodes)}`);
    }
    for (const step of steps) {
      log(`step: ${step.name}`);
      const result = await step.run({ nodes, args, log }).catch((error: unknown) => {
        log(`${step.name} crashed: ${error instanceof Error ? error.stack : String(error)}`);
        return { passed: 0, failed: 1 };
      });
      log(`${step.name}: ${result.passed} passed, ${result.failed} failed`);
      totals.passed += result.passed;
      totals.failed += result.failed;
    }
  } catch (error) {
    log(`the run could not start: ${error instanceof Error ? error.message : String(error)}`);
    totals.failed += 1;
  } finally {
    await stop();
  }
  console.log(`${totals.passed} passed, ${totals.failed} failed`);
  return totals.failed === 0 ? 0 : 1;
}

// Run only when executed (`tsx test/cluster/run.ts`), not when imported for `steps`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exit(await main());
