// @vitest-environment jsdom
import { StrictMode } from 'react';
import { cleanup, render, screen, waitFor as waitForDom } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { EVENTS } from '../../shared/index.js';
import { JobcastProvider } from '../../client/react/index.js';
import { startStack, uniqueName, waitFor } from '../support/stack.js';
import type { TestStack } from '../support/stack.js';
import { cleanups, JobView, RoomView, runCleanups, testClient, uniqueId } from './support/reactStack.js';

afterEach(async () => {
  cleanup();
  await runCleanups();
});

/** Counts the subscribe and unsubscribe packets the server receives for one room. */
function countPackets(stack: TestStack, room: string) {
  const counts = { subscribe: 0, unsubscribe: 0 };
  stack.server.io.on('connection', (socket) => {
    socket.onAny((event: string, payload: { room?: unknown } | undefined) => {
      if (payload?.room !== room) return;
      if (event === EVENTS.subscribe) counts.subscribe += 1;
      if (event === EVENTS.unsubscribe) counts.unsubscribe += 1;
    });
  });
  return counts;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('React bindings under StrictMode', () => {
  it.each([
    { unsubscribeDelayMs: 1_000, connectFirst: true },
    { unsubscribeDelayMs: 1_000, connectFirst: false },
    { unsubscribeDelayMs: 0, connectFirst: true },
  ])('subscribes once for a double mount and unsubscribes on unmount (%o)', async ({ unsubscribeDelayMs, connectFirst }) => {
    const stack = await startStack({ queues: [uniqueName('react-strict')] });
    cleanups.push(() => stack.close());
    const room = `document:${uniqueId()}`;
    const counts = countPackets(stack, room);
    const client = testClient(stack.url, 'user:alice', { unsubscribeDelayMs });
    // Connected first: the mount itself sends the subscribe, so StrictMode's unmount/remount happens with it in flight.
    if (connectFirst) await waitFor(() => client.connection.getSnapshot().state === 'connected', 'connected');

    const view = render(
      <StrictMode>
        <JobcastProvider client={client}>
          <RoomView room={room} />
          <JobView room={room} />
        </JobcastProvider>
      </StrictMode>,
    );
    await waitForDom(() => expect(screen.getByTestId(`room-${room}`).textContent).toBe('active '), { timeout: 20_000 });
    // Longer than the unsubscribe delay: a stray release would have gone out by now.
    await sleep(unsubscribeDelayMs + 500);
    expect(counts, `client log: ${JSON.stringify(client.inspect().log)}`).toEqual({ subscribe: 1, unsubscribe: 0 });
    // Two components, one store listener each: StrictMode's first listeners were removed.
    expect(client.inspect().rooms.find((held) => held.room === room)?.refCount).toBe(2);

    view.unmount();
    await waitFor(() => counts.unsubscribe === 1, 'unsubscribe after unmount');
    await sleep(300);
    expect(counts).toEqual({ subscribe: 1, unsubscribe: 1 });
    expect(client.inspect().rooms.some((held) => held.room === room)).toBe(false);
  });
});
