import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { io } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createJobcastClient } from '../../client/index.js';
import { refusalOfConnectError } from '../../client/errors.js';
import { startStack, uniqueName, waitFor, type TestStack } from '../support/stack.js';

const APP_ORIGIN = 'https://app.example';
const EVIL_ORIGIN = 'https://evil.example';
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function stackAllowing(origins: string[]): Promise<TestStack> {
  const stack = await startStack({ queues: [uniqueName('origins')], allowedOrigins: origins });
  cleanups.push(() => stack.close());
  return stack;
}

const handshakeUrl = (stack: TestStack) => `${stack.url}/socket.io/?EIO=4&transport=polling`;

describe('allowedOrigins', () => {
  it('gives an allowed page CORS on Socket.IO long-polling, with preflight', async () => {
    const stack = await stackAllowing([APP_ORIGIN]);
    const handshake = await fetch(handshakeUrl(stack), { headers: { origin: APP_ORIGIN } });
    expect(handshake.status).toBe(200);
    expect(await handshake.text()).toMatch(/^0\{/);
    expect(handshake.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(handshake.headers.get('access-control-allow-credentials')).toBe('true');
    const preflight = await fetch(handshakeUrl(stack), {
      method: 'OPTIONS',
      headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type');
  });

  it('gives an allowed page CORS on the router, with a preflight that admits Authorization, and nothing to others', async () => {
    const stack = await stackAllowing([APP_ORIGIN]);
    const preflight = await fetch(`${stack.url}/jobcast/rooms/document:1`, {
      method: 'OPTIONS',
      headers: { origin: APP_ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toBe('authorization');
    const snapshot = await fetch(`${stack.url}/jobcast/rooms/document:1`, { headers: { origin: APP_ORIGIN, authorization: 'Bearer user:alice' } });
    expect(snapshot.status).toBe(200);
    expect(snapshot.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(snapshot.headers.get('vary')).toContain('Origin');
    const other = await fetch(`${stack.url}/jobcast/health`, { headers: { origin: EVIL_ORIGIN } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses the handshake of another origin with 403 and a body the page may read: { code: 4, message: "ORIGIN_NOT_ALLOWED" }', async () => {
    const stack = await stackAllowing([APP_ORIGIN]);
    const refused = await fetch(handshakeUrl(stack), { headers: { origin: EVIL_ORIGIN } });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ code: 4, message: 'ORIGIN_NOT_ALLOWED' });
    // Readable by the refused page (a constant refusal, no data), so its client can report the code.
    expect(refused.headers.get('access-control-allow-origin')).toBe(EVIL_ORIGIN);
    expect(refused.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('hands a Socket.IO client the ORIGIN_NOT_ALLOWED refusal, and nothing for a network failure', async () => {
    const stack = await stackAllowing([APP_ORIGIN]);
    // Read inside the listener: the transport aborts its request right after, which empties the body.
    const connectError = (url: string, origin: string) =>
      new Promise<unknown>((resolve) => {
        const socket = io(url, { transports: ['polling'], reconnection: false, forceNew: true, auth: { token: 'user:alice' }, extraHeaders: { origin } });
        cleanups.push(() => socket.close());
        socket.once('connect', () => resolve('connected'));
        socket.once('connect_error', (error) => resolve(refusalOfConnectError(error) ?? 'no refusal'));
      });
    expect(await connectError(stack.url, EVIL_ORIGIN)).toEqual({
      code: 'ORIGIN_NOT_ALLOWED',
      message: 'This page origin is not allowed to connect.',
    });
    expect(await connectError(stack.url, APP_ORIGIN)).toBe('connected');
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    expect(await connectError(`http://127.0.0.1:${port}`, APP_ORIGIN)).toBe('no refusal');
  });

  it('stops a jobcast client whose origin is refused, with ORIGIN_NOT_ALLOWED, instead of retrying forever', async () => {
    const stack = await stackAllowing([APP_ORIGIN]);
    const client = createJobcastClient({
      url: stack.url,
      getToken: () => 'user:alice',
      reconnectDelayMs: 50,
      reconnectDelayMaxMs: 100,
      socketOptions: { transports: ['polling'], extraHeaders: { origin: EVIL_ORIGIN } },
    });
    cleanups.push(() => client.close());
    await waitFor(() => client.connection.getSnapshot().state === 'disconnected', 'the client to give up');
    expect(client.connection.getSnapshot().error?.code).toBe('ORIGIN_NOT_ALLOWED');
    expect(client.inspect().log.filter((entry) => entry.kind === 'connect_error')).toHaveLength(1);
  });
});

describe('a page on another origin, in Chromium', () => {
  it('connects, subscribes and reads the router from an allowed origin; a refused origin sees ORIGIN_NOT_ALLOWED', async () => {
    const bundle = await build({
      stdin: {
        contents: `import { createJobcastClient } from './client/index.ts';
                   import { refusalOfConnectError } from './client/errors.ts';
                   import { io } from 'socket.io-client';
                   window.jobcast = { createJobcastClient, refusalOfConnectError, io };`,
        resolveDir: fileURLToPath(new URL('../../', import.meta.url)),
        loader: 'ts',
      },
      bundle: true,
      format: 'iife',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    const script = bundle.outputFiles[0]!.text;
    // Two page servers on their own ports: two origins, like a Vite dev server next to the API.
    const pageServer = async (): Promise<{ origin: string; server: HttpServer }> => {
      const server = createServer((request, response) => {
        if (request.url === '/client.js') return response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
        response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script src="/client.js"></script><p>page</p>');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      cleanups.push(() => new Promise((resolve) => server.close(resolve)));
      return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
    };
    const allowedPage = await pageServer();
    const refusedPage = await pageServer();
    const stack = await stackAllowing([allowedPage.origin]);

    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    cleanups.push(() => browser.close());
    const page = await browser.newPage();

    await page.goto(`${allowedPage.origin}/`);
    const allowed = await page.evaluate(async (url) => {
      const { createJobcastClient } = (window as unknown as { jobcast: { createJobcastClient: typeof import('../../client/index.js').createJobcastClient } }).jobcast;
      const client = createJobcastClient({ url, getToken: async () => 'user:alice' });
      const room = client.subscribe('document:1');
      const state = await new Promise<string>((resolve) => {
        const check = () => {
          const snapshot = room.getSnapshot();
          if (snapshot.state !== 'pending') resolve(`${client.connection.getSnapshot().state}/${snapshot.state}`);
        };
        room.subscribe(check);
        check();
      });
      // Authorization makes this a preflighted cross-origin request.
      const response = await fetch(`${url}/jobcast/rooms/document:1`, { headers: { authorization: 'Bearer user:alice' } });
      const body = (await response.json()) as { room?: string };
      client.close();
      return { state, status: response.status, room: body.room };
    }, stack.url);
    expect(allowed).toEqual({ state: 'connected/active', status: 200, room: 'document:1' });

    await page.goto(`${refusedPage.origin}/`);
    const refused = await page.evaluate(async (url) => {
      const { io, refusalOfConnectError } = (window as unknown as { jobcast: { io: typeof import('socket.io-client').io; refusalOfConnectError: typeof import('../../client/errors.js').refusalOfConnectError } }).jobcast;
      const socket = io(url, { reconnection: false, auth: { token: 'user:alice' } });
      const refusal = await new Promise<ReturnType<typeof refusalOfConnectError>>((resolve) => socket.once('connect_error', (error) => resolve(refusalOfConnectError(error))));
      socket.close();
      const health = await fetch(`${url}/jobcast/health`).then(
        () => 'read',
        () => 'blocked by CORS',
      );
      return { code: refusal?.code ?? 'none', health };
    }, stack.url);
    expect(refused).toEqual({ code: 'ORIGIN_NOT_ALLOWED', health: 'blocked by CORS' });
  });
});
