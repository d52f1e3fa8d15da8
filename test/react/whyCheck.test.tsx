// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor as waitForDom, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobStatus } from '../../shared/index.js';
import { JobcastDebugPanel, JobcastProvider } from '../../client/react/index.js';
import type { JobcastClient } from '../../client/index.js';
import { startStack, startWorker, uniqueName, waitFor } from '../support/stack.js';
import type { TestStack } from '../support/stack.js';
import { cleanups, RoomView, runCleanups, testClient, uniqueId } from './support/reactStack.js';

afterEach(async () => {
  cleanup();
  await runCleanups();
});

const UI_TIMEOUT = { timeout: 20_000 };

async function setup(token = 'user:alice', channels?: Parameters<typeof startStack>[0]['channels']) {
  const queue = uniqueName('react-why');
  const stack = await startStack({ queues: [queue], canDebug: (user) => user.id === 'debugger', ...(channels ? { channels } : {}) });
  cleanups.push(() => stack.close());
  return { stack, queue, client: testClient(stack.url, token) };
}

async function serverRoom(stack: TestStack, room: string): Promise<{ jobs?: Array<{ status: JobStatus }> }> {
  const response = await fetch(`${stack.url}/jobcast/rooms/${room}`, { headers: { authorization: 'Bearer user:alice' } });
  return response.json() as Promise<{ jobs?: Array<{ status: JobStatus }> }>;
}

function renderApp(client: JobcastClient, room: string, panel: { debugUrl?: string; getDebugToken?: () => string } = {}) {
  render(
    <JobcastProvider client={client}>
      <RoomView room={room} />
      <JobcastDebugPanel initialOpen {...panel} />
    </JobcastProvider>,
  );
}

/** Runs the guided check from the panel and returns the hop that it marks as the first failure. */
async function runCheck(room: string) {
  fireEvent.click(screen.getByRole('tab', { name: 'Why no update?' }));
  const input = screen.getByRole('combobox', { name: /^Room/ });
  fireEvent.change(input, { target: { value: room } });
  fireEvent.click(screen.getByRole('button', { name: 'Run check' }));
  const hops = await screen.findByRole('list', { name: 'Hops' }, UI_TIMEOUT);
  const first = hops.querySelector('li[data-first="true"]');
  return { first: first?.getAttribute('data-hop'), summary: screen.getByText(/First failed hop|No hop failed/).closest('p')?.textContent ?? '', hops };
}

describe('guided check in the debug panel', () => {
  it('names "authorized" for a subscription the server rejected', async () => {
    const { client } = await setup('user:bob', { 'document:{id}': (user) => user.id === 'alice' });
    const room = `document:${uniqueId()}`;
    renderApp(client, room);
    await waitForDom(() => expect(screen.getByTestId(`room-${room}`).textContent).toBe('rejected '), UI_TIMEOUT);
    const { first, summary, hops } = await runCheck(room);
    expect(first).toBe('authorized');
    expect(summary).toContain('Authorized?');
    expect(summary).toContain(`not authorized: You are not allowed to subscribe to "${room}".`);
    expect(within(hops).getAllByRole('listitem').map((item) => item.getAttribute('data-ok'))).toEqual(['true', 'true', 'false', 'unknown', 'unknown', 'unknown', 'true']);
  });

  it('names "authorized" with "wrong room name" and the hint for a room no channel matches', async () => {
    const { client } = await setup();
    const id = uniqueId();
    renderApp(client, `documents:${id}`);
    await waitForDom(() => expect(screen.getByTestId(`room-documents:${id}`).textContent).toBe('rejected '), UI_TIMEOUT);
    const { first, summary } = await runCheck(`documents:${id}`);
    expect(first).toBe('authorized');
    expect(summary).toMatch(new RegExp(`wrong room name: No channel pattern matches "documents:${id}"\\..*Hint: .*document:${id}`));
  });

  it('names "connected" when the client is disconnected', async () => {
    const { client } = await setup();
    const room = `document:${uniqueId()}`;
    renderApp(client, room);
    await waitForDom(() => expect(screen.getByTestId(`room-${room}`).textContent).toBe('active '), UI_TIMEOUT);
    client.disconnect();
    await waitFor(() => client.connection.getSnapshot().state === 'disconnected', 'disconnected');
    const { first, summary } = await runCheck(room);
    expect(first).toBe('connected');
    expect(summary).toContain('the connection is disconnected (reason: io client disconnect)');
  });

  it('names "subscribed" for a room nothing on the page holds', async () => {
    const { client } = await setup();
    const room = `document:${uniqueId()}`;
    renderApp(client, room);
    await waitForDom(() => expect(screen.getByTestId(`room-${room}`).textContent).toBe('active '), UI_TIMEOUT);
    const { first, summary } = await runCheck(`document:${uniqueId()}`);
    expect(first).toBe('subscribed');
    expect(summary).toContain(`the client holds "${room}"`);
  });

  it('names "broadcast" when the server published nothing to the room, and where the events went', async () => {
    const { stack, client, queue } = await setup();
    // Numeric ids unique to this test: every test server on this Redis answers the debug endpoint's cluster query.
    const id = String(100_000 + Math.floor(Math.random() * 900_000));
    const room = `document:${id}`;
    const eventsRoom = `document:0${id}`;
    renderApp(client, room, { debugUrl: `${stack.url}/jobcast`, getDebugToken: () => 'user:debugger' });
    await waitForDom(() => expect(screen.getByTestId(`room-${room}`).textContent).toBe('active '), UI_TIMEOUT);
    const worker = startWorker(queue, async () => 'done');
    cleanups.push(() => worker.close());
    await stack.server.enqueue(queue, 'misrouted', {}, { rooms: [eventsRoom] });
    await waitFor(async () => (await serverRoom(stack, eventsRoom)).jobs?.some((event) => event.status.state === 'completed'), 'completed');

    const { first, summary, hops } = await runCheck(room);
    expect(first).toBe('broadcast');
    expect(summary).toContain(`the server has broadcast nothing to "${room}"; events go to "${eventsRoom}"`);
    expect(within(hops).getAllByRole('listitem').map((item) => item.getAttribute('data-ok'))).toEqual(['true', 'true', 'true', 'unknown', 'false', 'unknown', 'true']);
  });

  it('finds the broadcast of an older job past the room\'s last events, and shows its failure text to a debug user', async () => {
    const { stack, client, queue } = await setup();
    const room = `document:${uniqueId()}`;
    renderApp(client, room, { debugUrl: `${stack.url}/jobcast`, getDebugToken: () => 'user:debugger' });
    await waitForDom(() => expect(screen.getByTestId(`room-${room}`).textContent).toBe('active '), UI_TIMEOUT);
    const worker = startWorker(queue, async (job) => {
      if (job.name === 'fragile') throw new Error('the upstream API said 503 (request 7f3a)');
      return 'done';
    });
    cleanups.push(() => worker.close());
    const { jobId } = await stack.server.enqueue(queue, 'fragile', {}, { rooms: [room], attempts: 1 });
    for (let index = 0; index < 8; index++) await stack.server.enqueue(queue, 'fine', {}, { rooms: [room] });
    await waitFor(async () => ((await serverRoom(stack, room)).jobs ?? []).filter((event) => event.status.state === 'completed').length === 8, 'the later jobs');

    fireEvent.click(screen.getByRole('tab', { name: 'Why no update?' }));
    fireEvent.change(screen.getByRole('combobox', { name: /^Job id/ }), { target: { value: jobId } });
    const { hops } = await runCheck(room);
    expect(hops.querySelector('li[data-hop="broadcast"]')?.getAttribute('data-ok')).toBe('true');
    const detail = await screen.findByTestId('failure-detail', {}, UI_TIMEOUT);
    expect(detail.textContent).toContain('the upstream API said 503 (request 7f3a)');
  });

  it('passes every hop for a job the page received, as the server reports it', async () => {
    const { stack, client, queue } = await setup();
    const room = `document:${uniqueId()}`;
    renderApp(client, room, { debugUrl: `${stack.url}/jobcast`, getDebugToken: () => 'user:debugger' });
    await waitForDom(() => expect(screen.getByTestId(`room-${room}`).textContent).toBe('active '), UI_TIMEOUT);
    const worker = startWorker(queue, async () => 'done');
    cleanups.push(() => worker.close());
    const { jobId } = await stack.server.enqueue(queue, 'fine', {}, { rooms: [room] });
    await waitForDom(() => expect(screen.getByTestId(`room-${room}`).textContent).toBe(`active ${jobId}=completed`), UI_TIMEOUT);

    fireEvent.click(screen.getByRole('tab', { name: 'Why no update?' }));
    fireEvent.change(screen.getByRole('combobox', { name: /^Job id/ }), { target: { value: jobId } });
    const { first, summary, hops } = await runCheck(room);
    expect(first).toBeUndefined();
    expect(summary).toBe(`No hop failed for ${room} (job ${jobId}).`);
    expect(within(hops).getAllByRole('listitem').map((item) => item.getAttribute('data-ok'))).toEqual(['true', 'true', 'true', 'true', 'true', 'true', 'true']);
  });

  it('leaves "broadcast" unknown, with the server\'s refusal, for a user without debug access', async () => {
    const { stack, client } = await setup();
    const room = `document:${uniqueId()}`;
    renderApp(client, room, { debugUrl: `${stack.url}/jobcast`, getDebugToken: () => 'user:alice' });
    await waitForDom(() => expect(screen.getByTestId(`room-${room}`).textContent).toBe('active '), UI_TIMEOUT);
    const { first, hops } = await runCheck(room);
    expect(first).toBeUndefined();
    const broadcast = hops.querySelector('li[data-hop="broadcast"]')!;
    expect(broadcast.getAttribute('data-ok')).toBe('unknown');
    expect(broadcast.textContent).toContain("the server's debug endpoint answered FORBIDDEN");
  });
});
