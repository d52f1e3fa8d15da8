// @vitest-environment jsdom
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createJobcastClient } from '../../client/index.js';
import type { JobcastClient, JobcastClientOptions } from '../../client/index.js';
import { startStack, uniqueName, waitFor } from '../support/stack.js';
import { startPausableProxy } from './support/pausableProxy.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A page's client whose own reconnect delay is a minute: only the browser's signals can bring it back sooner. */
function pageClient(url: string, options: Partial<JobcastClientOptions> = {}): JobcastClient {
  const client = createJobcastClient({
    url,
    getToken: () => 'user:alice',
    reconnectDelayMs: 60_000,
    reconnectDelayMaxMs: 60_000,
    socketOptions: { transports: ['websocket'] },
    ...options,
  });
  cleanups.push(() => client.close());
  return client;
}

describe('the client and the browser network signals', () => {
  it('drops the connection when the browser goes offline and reconnects at once when it is back online', async () => {
    const stack = await startStack({ queues: [uniqueName('network')] });
    cleanups.push(() => stack.close());
    const client = pageClient(stack.url);
    const handle = client.subscribe('document:1');
    await waitFor(() => handle.getSnapshot().state === 'active', 'subscribed');

    window.dispatchEvent(new Event('offline'));
    await waitFor(() => client.connection.getSnapshot().state === 'reconnecting', 'the offline connection dropped');
    expect(client.connection.getSnapshot().reason, JSON.stringify(client.inspect().log)).toBe('offline');
    expect(handle.getSnapshot().state).toBe('pending');

    // Socket.IO's next attempt is 30 to 60 s away; coming back online does not wait for it.
    window.dispatchEvent(new Event('online'));
    await waitFor(() => client.connection.getSnapshot().state === 'connected', 'reconnected when online', 20_000);
    await waitFor(() => handle.getSnapshot().state === 'active', 'subscribed again', 20_000);
    expect(client.inspect().log.filter((entry) => entry.kind === 'network').map((entry) => entry.message)).toEqual(['offline', 'online']);
  });

  it('checks the connection as soon as the page becomes visible again', async () => {
    const stack = await startStack({ queues: [uniqueName('network')] });
    cleanups.push(() => stack.close());
    const proxy = await startPausableProxy((stack.httpServer.address() as AddressInfo).port);
    cleanups.push(() => proxy.close());
    // Heartbeats a minute apart: only the visibility check can find the stall within the wait below.
    const client = pageClient(proxy.url, { heartbeatIntervalMs: 60_000 });
    const handle = client.subscribe('document:1');
    await waitFor(() => handle.getSnapshot().state === 'active', 'subscribed');

    proxy.pause(); // the laptop slept, and its connection with it
    document.dispatchEvent(new Event('visibilitychange'));
    await waitFor(() => client.connection.getSnapshot().state === 'reconnecting', 'the stall found', 20_000);
    expect(client.connection.getSnapshot().reason).toBe('heartbeat timeout');
    proxy.resume();
  });
});
