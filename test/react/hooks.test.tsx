// @vitest-environment jsdom
import { useEffect } from 'react';
import { cleanup, render, screen, waitFor as waitForDom } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobStatus } from '../../shared/index.js';
import { JobcastProvider, useConnection, useJobStatus, useRoom } from '../../client/react/index.js';
import { startStack, startWorker, uniqueName, waitFor } from '../support/stack.js';
import { cleanups, gate, JobView, runCleanups, testClient, uniqueId } from './support/reactStack.js';

afterEach(async () => {
  cleanup();
  await runCleanups();
});

const UI_TIMEOUT = { timeout: 20_000 };

async function setup() {
  const queue = uniqueName('react-hooks');
  const stack = await startStack({ queues: [queue] });
  cleanups.push(() => stack.close());
  const client = testClient(stack.url, 'user:alice');
  return { queue, stack, client };
}

/** Records every distinct status the hook rendered, as "state" or "state progress". */
function Recorder({ room, jobId, seen }: { room: string; jobId: string; seen: string[] }) {
  const { status } = useJobStatus(room, jobId);
  const text = status ? `${status.state}${status.progress === undefined ? '' : ` ${JSON.stringify(status.progress)}`}` : undefined;
  useEffect(() => {
    if (text !== undefined && seen.at(-1) !== text) seen.push(text);
  }, [text, seen]);
  return null;
}

function ConnectionView() {
  const { state, transport } = useConnection();
  return <p data-testid="connection">{`${state} ${transport ?? ''}`}</p>;
}

describe('useJobStatus', () => {
  it('goes through waiting, active with progress, and completed for a real job', async () => {
    const { queue, stack, client } = await setup();
    const room = `document:${uniqueId()}`;
    const jobId = uniqueName('job');
    const seen: string[] = [];
    render(
      <JobcastProvider client={client}>
        <ConnectionView />
        <JobView room={room} jobId={jobId} />
        <Recorder room={room} jobId={jobId} seen={seen} />
      </JobcastProvider>,
    );
    await waitForDom(() => expect(screen.getByTestId('job').textContent).toBe('active: none'), UI_TIMEOUT);
    expect(screen.getByTestId('connection').textContent).toBe('connected websocket');

    await stack.server.enqueue(queue, 'summarize', {}, { rooms: [room], jobId });
    await waitForDom(() => expect(screen.getByTestId('job').textContent).toBe(`active: ${jobId} waiting`), UI_TIMEOUT);

    // The worker starts only now, and holds the job at 50 % until the page has shown it.
    const finish = gate();
    const worker = startWorker(queue, async (job) => {
      await job.updateProgress(50);
      await finish.wait;
      return 'done';
    });
    cleanups.push(() => worker.close());
    await waitForDom(() => expect(screen.getByTestId('job').textContent).toBe(`active: ${jobId} active 50`), UI_TIMEOUT);
    finish.open();
    await waitForDom(() => expect(screen.getByTestId('job').textContent).toMatch(new RegExp(`^active: ${jobId} completed`)), UI_TIMEOUT);

    const waiting = seen.indexOf('waiting');
    const progress = seen.indexOf('active 50');
    const completed = seen.findIndex((text) => text.startsWith('completed'));
    expect(waiting).toBe(0);
    expect(progress).toBeGreaterThan(waiting);
    expect(completed).toBe(seen.length - 1);
    expect(completed).toBeGreaterThan(progress);
  });

  it('without a job id, follows the job of the room updated last', async () => {
    const { queue, stack, client } = await setup();
    const room = `document:${uniqueId()}`;
    const seenRooms: Array<Record<string, JobStatus>> = [];
    function Jobs() {
      const snapshot = useRoom(room);
      seenRooms.push(snapshot.jobs as Record<string, JobStatus>);
      return <p data-testid="count">{Object.keys(snapshot.jobs).length}</p>;
    }
    render(
      <JobcastProvider client={client}>
        <JobView room={room} />
        <Jobs />
      </JobcastProvider>,
    );
    await waitForDom(() => expect(screen.getByTestId('job').textContent).toBe('active: none'), UI_TIMEOUT);
    const first = await stack.server.enqueue(queue, 'first', {}, { rooms: [room] });
    await waitForDom(() => expect(screen.getByTestId('job').textContent).toBe(`active: ${first.jobId} waiting`), UI_TIMEOUT);
    const second = await stack.server.enqueue(queue, 'second', {}, { rooms: [room] });
    await waitForDom(() => expect(screen.getByTestId('job').textContent).toBe(`active: ${second.jobId} waiting`), UI_TIMEOUT);
    await waitForDom(() => expect(screen.getByTestId('count').textContent).toBe('2'), UI_TIMEOUT);
    expect(Object.keys(seenRooms.at(-1)!).sort()).toEqual([`${queue}/${first.jobId}`, `${queue}/${second.jobId}`].sort());
  });

  it('names a job by queue and id when two queues use the same id, and by queue alone', async () => {
    const imports = uniqueName('imports');
    const thumbnails = uniqueName('thumbnails');
    const stack = await startStack({ queues: [imports, thumbnails] });
    cleanups.push(() => stack.close());
    const client = testClient(stack.url, 'user:alice');
    const room = `document:${uniqueId()}`;
    function QueueJob({ queue, jobId, testId }: { queue: string; jobId?: string; testId: string }) {
      const { status } = useJobStatus(room, jobId === undefined ? { queue } : { queue, jobId });
      return <p data-testid={testId}>{status ? `${status.queue === queue ? 'own' : 'other'} ${status.name} ${status.state}` : 'none'}</p>;
    }
    render(
      <JobcastProvider client={client}>
        <QueueJob queue={imports} jobId="job-1" testId="imports" />
        <QueueJob queue={thumbnails} jobId="job-1" testId="thumbnails" />
        <QueueJob queue={thumbnails} testId="thumbnails-latest" />
        <JobView room={room} jobId="job-1" testId="by-id" />
      </JobcastProvider>,
    );
    await stack.server.enqueue(imports, 'import', {}, { rooms: [room], jobId: 'job-1' });
    await waitForDom(() => expect(screen.getByTestId('imports').textContent).toBe('own import waiting'), UI_TIMEOUT);
    await stack.server.enqueue(thumbnails, 'thumbnail', {}, { rooms: [room], jobId: 'job-1' });
    await waitForDom(() => expect(screen.getByTestId('thumbnails').textContent).toBe('own thumbnail waiting'), UI_TIMEOUT);
    expect(screen.getByTestId('imports').textContent).toBe('own import waiting');
    expect(screen.getByTestId('thumbnails-latest').textContent).toBe('own thumbnail waiting');
    // By id alone: whichever queue's job with that id was updated last.
    expect(screen.getByTestId('by-id').textContent).toBe('active: job-1 waiting');
  });

  it('shows a job that finished before the page subscribed, from the room snapshot', async () => {
    const { queue, stack, client } = await setup();
    const room = `document:${uniqueId()}`;
    const worker = startWorker(queue, async () => 'done');
    cleanups.push(() => worker.close());
    const { jobId } = await stack.server.enqueue(queue, 'early', {}, { rooms: [room] });
    const response = async () => (await fetch(`${stack.url}/jobcast/rooms/${room}`, { headers: { authorization: 'Bearer user:alice' } })).json();
    await waitFor(async () => (await response()).jobs?.some((event: { status: JobStatus }) => event.status.state === 'completed'), 'completed on the server');
    render(
      <JobcastProvider client={client}>
        <JobView room={room} jobId={jobId} />
      </JobcastProvider>,
    );
    await waitForDom(() => expect(screen.getByTestId('job').textContent).toMatch(new RegExp(`^active: ${jobId} completed`)), UI_TIMEOUT);
  });
});
