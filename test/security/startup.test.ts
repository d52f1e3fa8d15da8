import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { describe, expect, inject, it } from 'vitest';
import { createJobcastServer, createTokenIssuer } from '../../server/index.js';
import { uniqueName } from '../support/stack.js';

const TSX = createRequire(import.meta.url).resolve('tsx');

interface StartupReport {
  error?: string;
  intervals: number;
  resources: string[];
  httpListeners: number;
}

/** Runs `startupNode.ts` with a scenario; resolves with its report once it has ended by itself. */
function runStartup(env: Record<string, string>, timeoutMs = 20_000): Promise<StartupReport> {
  const child = spawn(process.execPath, ['--import', TSX, new URL('./startupNode.ts', import.meta.url).pathname], {
    env: { ...process.env, REDIS_URL: inject('redisUrl'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the process did not end by itself within ${timeoutMs} ms: something was left open.\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) return reject(new Error(`exited with ${code}:\n${stdout}\n${stderr}`));
      resolve(JSON.parse(line) as StartupReport);
    });
  });
}

async function listening(): Promise<{ server: TcpServer; port: number }> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('start-up', () => {
  it('refuses `authenticate` and `tokens` together, before opening anything', async () => {
    const httpServer = createServer();
    const starting = createJobcastServer({
      httpServer,
      redis: inject('redisUrl'),
      queues: [uniqueName('both')],
      authenticate: () => ({ id: 'x' }),
      tokens: createTokenIssuer({ secret: 'a-secret-that-is-long-enough-for-hmac-256!!' }),
      channels: { 'document:{id}': () => true },
    });
    await expect(starting).rejects.toThrow(TypeError);
    await expect(starting).rejects.toThrow('Give `authenticate` or `tokens`, not both.');
    expect(httpServer.listenerCount('request')).toBe(0);
  });

  it('leaves nothing behind when Redis is unreachable: the process ends by itself', async () => {
    const { server, port } = await listening();
    await new Promise((resolve) => server.close(resolve)); // a port nothing listens on
    const report = await runStartup({ SCENARIO: 'unreachable', CLOSED_PORT: String(port) });
    expect(report.error).toContain(`jobcast: cannot reach Redis at redis://127.0.0.1:${port}`);
    expect(report.intervals).toBe(0);
    expect(report.httpListeners).toBe(0);
  });

  it('checks channel patterns before connecting to Redis: a bad one leaves nothing behind', async () => {
    const report = await runStartup({ SCENARIO: 'bad-channel' });
    expect(report.error).toBe('Channel pattern "nope" needs at least two segments, e.g. "document:{id}"');
    expect(report.intervals).toBe(0);
    expect(report.httpListeners).toBe(0);
  });

  it('closes what it had opened when start-up fails halfway (Socket.IO, adapter, queues, connections)', async () => {
    const report = await runStartup({ SCENARIO: 'fails-midway' });
    expect(report.error).toBe('no more connections for jobcast');
    expect(report.intervals).toBe(0);
  });

  it('closes within seconds while Redis is unreachable, and the process ends by itself', async () => {
    // About 11 s of outage before it closes (startupNode.ts); without the bound, closing took 40 s more.
    const report = await runStartup({ SCENARIO: 'close-redis-gone' }, 40_000);
    expect(report.error).toBe('closed');
    expect(report.intervals).toBe(0);
  });

  it('closes everything when the app closes it after its port turned out to be taken', async () => {
    const { server, port } = await listening();
    try {
      const report = await runStartup({ SCENARIO: 'port-in-use', BUSY_PORT: String(port) });
      expect(report.error).toContain('EADDRINUSE');
      expect(report.intervals).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
