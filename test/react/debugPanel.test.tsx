// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor as waitForDom, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobStatus } from '../../shared/index.js';
import { JobcastDebugPanel, JobcastProvider } from '../../client/react/index.js';
import { startStack, startWorker, uniqueName, waitFor } from '../support/stack.js';
import { cleanups, gate, JobView, RoomView, runCleanups, testClient, uniqueId } from './support/reactStack.js';

afterEach(async () => {
  cleanup();
  await runCleanups();
});

const UI_TIMEOUT = { timeout: 20_000 };

const openTab = (name: string) => fireEvent.click(screen.getByRole('tab', { name }));

/** The cells of a table row, by the row's room name. */
function rowCells(tableName: string, room: string): string[] {
  const table = screen.getByRole('table', { name: tableName });
  const row = within(table).getByRole('row', { name: new RegExp(`^${room.replace(/[.:]/g, '\\$&')}\\b`) });
  return [...row.querySelectorAll('th, td')].map((cell) => cell.textContent ?? '');
}

describe('JobcastDebugPanel', () => {
  it('lists rejected subscriptions with their code, message and hint', async () => {
    const queue = uniqueName('react-panel');
    const stack = await startStack({ queues: [queue], channels: { 'document:{id}': (user) => user.id === 'alice' } });
    cleanups.push(() => stack.close());
    const client = testClient(stack.url, 'user:bob');
    const id = uniqueId();
    const forbidden = `document:${id}`;
    const misspelt = `documents:${id}`;
    render(
      <JobcastProvider client={client}>
        <RoomView room={forbidden} />
        <RoomView room={misspelt} />
        <JobcastDebugPanel initialOpen />
      </JobcastProvider>,
    );
    await waitForDom(() => expect(screen.getByTestId(`room-${forbidden}`).textContent).toBe('rejected '), UI_TIMEOUT);
    await waitForDom(() => expect(screen.getByTestId(`room-${misspelt}`).textContent).toBe('rejected '), UI_TIMEOUT);

    openTab('Subscriptions');
    await waitForDom(() => {
      const cells = rowCells('Subscriptions', forbidden);
      expect(cells[1]).toBe('rejected');
      expect(cells[2]).toBe(`FORBIDDEN You are not allowed to subscribe to "${forbidden}".`);
    }, UI_TIMEOUT);
    const invalid = rowCells('Subscriptions', misspelt);
    expect(invalid[1]).toBe('rejected');
    expect(invalid[2]).toMatch(new RegExp(`^INVALID_ROOM No channel pattern matches "${misspelt}"\\..*Hint: .*${forbidden}`));
    // The event log names them too.
    openTab('Event log');
    const log = screen.getByRole('table', { name: 'Event log entries' });
    expect(within(log).getAllByText('rejected').length).toBeGreaterThanOrEqual(2);
  });

  it('counts the broadcasts missed during a forced disconnect and shows them replayed', async () => {
    const queue = uniqueName('react-gaps');
    const stack = await startStack({ queues: [queue] });
    cleanups.push(() => stack.close());
    const room = `document:${uniqueId()}`;
    const jobId = uniqueName('job');
    const client = testClient(stack.url, 'user:alice');
    render(
      <JobcastProvider client={client}>
        <JobView room={room} jobId={jobId} />
        <JobcastDebugPanel initialOpen />
      </JobcastProvider>,
    );
    await waitForDom(() => expect(screen.getByTestId('job').textContent).toBe('active: none'), UI_TIMEOUT);

    const resume = gate();
    const worker = startWorker(queue, async (job) => {
      await job.updateProgress({ percent: 10, step: { name: 'download', status: 'started', index: 0, total: 2 } });
      await resume.wait;
      await job.updateProgress({ percent: 60, step: { name: 'summarize', status: 'started', index: 1, total: 2 } });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await job.updateProgress({ percent: 90, step: { name: 'summarize', status: 'completed', index: 1, total: 2 } });
      return 'done';
    });
    cleanups.push(() => worker.close());
    await stack.server.enqueue(queue, 'summarize', {}, { rooms: [room], jobId });
    await waitForDom(() => expect(screen.getByTestId('job').textContent).toMatch(/active \{"percent":10/), UI_TIMEOUT);

    // The server drops every socket and refuses them until the job has moved on without us.
    let refusing = true;
    stack.server.io.use((_socket, next) => (refusing ? next(new Error('maintenance')) : next()));
    // `local`: every test server on this Redis shares the Socket.IO adapter's channel, so a plain
    // `io.disconnectSockets()` would also drop the sockets of tests running in other workers.
    stack.server.io.local.disconnectSockets(true);
    await waitFor(() => client.connection.getSnapshot().state !== 'connected', 'dropped');
    resume.open();
    const serverRoom = async () =>
      (await (await fetch(`${stack.url}/jobcast/rooms/${room}`, { headers: { authorization: 'Bearer user:alice' } })).json()) as {
        jobs: Array<{ status: JobStatus }>;
      };
    await waitFor(async () => (await serverRoom()).jobs.some((event) => event.status.state === 'completed'), 'completed while away');
    expect(screen.getByTestId('job').textContent).toMatch(/active \{"percent":10/);
    refusing = false;

    await waitForDom(() => expect(screen.getByTestId('job').textContent).toMatch(new RegExp(`${jobId} completed`)), UI_TIMEOUT);
    openTab('Missed broadcasts');
    await waitForDom(() => {
      const [, detected, replayed, resynced, pending] = rowCells('Missed broadcasts per room', room);
      expect(Number(detected)).toBeGreaterThanOrEqual(1);
      expect(Number(replayed)).toBeGreaterThanOrEqual(1);
      expect(Number(resynced)).toBe(0);
      expect(Number(pending)).toBe(0);
    }, UI_TIMEOUT);
    const ranges = within(screen.getByRole('table', { name: 'Missed ranges' })).getAllByRole('row').slice(1);
    expect(ranges.length).toBeGreaterThanOrEqual(1);
    expect(ranges.every((row) => row.textContent?.includes('replayed'))).toBe(true);

    openTab('Connection');
    const timeline = screen.getByRole('table', { name: 'Connection timeline' });
    expect(within(timeline).getAllByText('connected').length).toBeGreaterThanOrEqual(2);
    expect(within(timeline).getAllByText('reconnecting').length).toBeGreaterThanOrEqual(1);

    // The replayed events reach the job timeline too, with their steps.
    openTab('Jobs');
    const jobTimeline = screen.getByRole('table', { name: `Timeline of job ${jobId}` });
    await waitForDom(() => expect(within(jobTimeline).getAllByText('completed').length).toBeGreaterThanOrEqual(1), UI_TIMEOUT);
    const rows = within(jobTimeline).getAllByRole('row').slice(1).map((row) => [...row.querySelectorAll('td')].slice(1, 4).map((cell) => cell.textContent));
    expect(rows).toContainEqual(['progress', 'active', 'download started (1/2)']);
    expect(rows).toContainEqual(['progress', 'active', 'summarize completed (2/2)']);
    expect(rows.at(-1)?.slice(0, 2)).toEqual(['completed', 'completed']);
  });

  it('names a job nobody works on, then shows its thirty progress reports as one grouped row with percent and step', async () => {
    const queue = uniqueName('react-panel-jobs');
    const stack = await startStack({ queues: [queue] });
    cleanups.push(() => stack.close());
    const room = `document:${uniqueId()}`;
    const jobId = uniqueName('job');
    const client = testClient(stack.url, 'user:alice');
    render(
      <JobcastProvider client={client}>
        <JobView room={room} jobId={jobId} />
        <JobcastDebugPanel initialOpen bullBoardUrl="/admin/queues" />
      </JobcastProvider>,
    );
    await waitForDom(() => expect(screen.getByTestId('job').textContent).toBe('active: none'), UI_TIMEOUT);
    await stack.server.enqueue(queue, 'summarize', {}, { rooms: [room], jobId });
    await waitForDom(() => expect(screen.getByTestId('job').textContent).toMatch(/waiting/), UI_TIMEOUT);

    openTab('Jobs');
    const card = () => document.querySelector(`[data-jobcast-debug] article[data-job="${jobId}"]`);
    await waitForDom(() => expect(card()?.querySelector('[data-problem="NO_WORKER"]')?.textContent).toContain('No worker listens'), UI_TIMEOUT);
    expect(card()?.querySelector('a')?.getAttribute('href')).toBe(`/admin/queues/queue/${queue}/${jobId}`);

    const worker = startWorker(queue, async (job) => {
      for (let tick = 1; tick <= 30; tick++) {
        await job.updateProgress({ percent: tick * 3, step: { name: 'summarize', status: 'started', index: 2, total: 4 } });
        // Apart enough that the server reads them in separate batches (it merges a batch's progress of one job).
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return 'done';
    });
    cleanups.push(() => worker.close());
    await waitForDom(() => expect(screen.getByTestId('job').textContent).toMatch(new RegExp(`${jobId} completed`)), UI_TIMEOUT);
    await waitForDom(() => expect(card()?.querySelector('dd')?.textContent).toMatch(/^90 % · summarize \(3\/4\)/), UI_TIMEOUT);

    openTab('Event log');
    const rows = within(screen.getByRole('table', { name: 'Event log entries' })).getAllByRole('row').slice(1);
    const grouped = rows.filter((row) => Number(row.getAttribute('data-count')) > 1 && row.textContent?.includes('progress → active'));
    // Progress may be coalesced by the server, never multiplied: fewer rows than reports, each saying where the percent went.
    expect(grouped.length).toBeGreaterThanOrEqual(1);
    expect(rows.length).toBeLessThan(30);
    expect(grouped[0]!.textContent).toMatch(/×\d+.*\d+ % → \d+ % · summarize \(3\/4\)/);
  });
});
