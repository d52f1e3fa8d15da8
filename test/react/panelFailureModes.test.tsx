// @vitest-environment jsdom
/*
 * The thirteen ways a page stays on "processing…" (README.md, "Debugging a missing update"), staged for real against a jobcast
 * server, Redis and BullMQ workers (in other processes where one must die), with the library's
 * <JobcastDebugPanel> rendered as an app would; each test asserts what the panel says.
 *
 *   1    no worker listens on the queue                         Jobs: NO_WORKER; why-check: job hop
 *   1.1  the only worker died after the job was queued          Jobs: NO_WORKER from the worker watch
 *   1.2  the only worker is paused and takes no jobs            Jobs: NO_WORKER saying so; why-check: job hop
 *   2    a failure whose record removeOnFail erased             why-check: record gone + the failure that reached the page
 *   2b   a failure swallowed inside the job (a step's error caught)   Jobs: SWALLOWED
 *   3    the job failed at step N, and only "failed" is known   Jobs: FAILED at step N, last completed step
 *   4    a transient failure waiting out its retry backoff      Jobs: BACKOFF until when, next attempt
 *   5    a retry runs again the steps that had completed        Jobs: RERUN
 *   6    the worker was killed mid-job (kill -9)                Jobs: WORKER_LOST with when the lock runs out
 *   7    a stale worker (old code) ran the job                  Jobs: STALE_WORKER
 *   8    the broadcast went to a room nobody listens to         why-check: broadcast hop, where events go
 *   9    the subscription was rejected                          Subscriptions: the code and message; why-check: authorized
 *   10   the record was deleted before the retry               Jobs: FAILED at the step of the last attempt; why-check: the failure text
 *   11   the job was deduplicated into another                 Jobs: DEDUPLICATED, by which job
 *   12   the socket was down when "done" went out              Missed broadcasts: detected and replayed
 *   13   the job finished before the page subscribed           Jobs: the note that it comes from the snapshot
 */
import { cleanup, fireEvent, render, screen, waitFor as waitForDom, within } from '@testing-library/react';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobStatus } from '../../shared/index.js';
import type { JobcastClient } from '../../client/index.js';
import { JobcastDebugPanel, JobcastProvider } from '../../client/react/index.js';
import { createJobcastWorker, step } from '../../server/worker/index.js';
import { startWorkerProcess } from '../support/processes.js';
import { startStack, startWorker, uniqueName, waitFor, type TestStack } from '../support/stack.js';
import { cleanups, gate, RoomView, runCleanups, testClient, uniqueId } from './support/reactStack.js';

afterEach(async () => {
  cleanup();
  await runCleanups();
});

/** Generous: a slow, shared 2-core machine. */
const UI = { timeout: 30_000 };
const DEBUG_TOKEN = 'user:debugger';
const silent = pino({ level: 'silent' });

interface Staged {
  stack: TestStack;
  queue: string;
  room: string;
  client: JobcastClient;
}

/** A server with its own queue and a debug user, a page client, and a room no other test uses. */
async function stage(options: Partial<Parameters<typeof startStack>[0]> = {}, token = 'user:alice'): Promise<Staged> {
  const queue = uniqueName('panel-mode');
  const stack = await startStack({ queues: [queue], canDebug: (user) => user.id === 'debugger', ...options });
  cleanups.push(() => stack.close());
  return { stack, queue, room: `document:${uniqueId()}`, client: testClient(stack.url, token) };
}

/** The page: a component holding the room, and the panel with the server hop of the why-check. */
function renderPage({ client, room, stack }: Staged): void {
  render(
    <JobcastProvider client={client}>
      <RoomView room={room} />
      <JobcastDebugPanel initialOpen debugUrl={`${stack.url}/jobcast`} getDebugToken={() => DEBUG_TOKEN} />
    </JobcastProvider>,
  );
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const roomText = (room: string) => screen.getByTestId(`room-${room}`).textContent ?? '';
const subscribed = (room: string) => waitForDom(() => expect(roomText(room)).toMatch(/^active /), UI);
const jobState = (room: string, jobId: string, state: string, timeout = UI) =>
  waitForDom(() => expect(roomText(room)).toMatch(new RegExp(`(^active |,)${escape(jobId)}=${state}(,|$)`)), timeout);

/** `stage`, the page rendered, and its room subscribed. */
async function openPage(...args: Parameters<typeof stage>): Promise<Staged> {
  const staged = await stage(...args);
  renderPage(staged);
  await subscribed(staged.room);
  return staged;
}

/** A jobcast worker in a process of its own whose every job hangs inside its step `work`, killed after the test. */
async function hangingWorker({ stack, queue }: Staged) {
  const worker = await startWorkerProcess({ REDIS_URL: stack.redisUrl, QUEUE: queue, KEY_PREFIX: stack.keyPrefix, HANG: '1' });
  cleanups.push(() => worker.kill());
  return worker;
}

/** A job mover that runs `worker` helpers' steps in this process. */
const jobcastWorker = (staged: Staged, processor: Parameters<typeof createJobcastWorker>[1], options: { version?: string } = {}) => {
  const worker = createJobcastWorker(staged.queue, processor, { connection: staged.stack.redisUrl, keyPrefix: staged.stack.keyPrefix, logger: silent, ...options });
  worker.on('error', () => undefined);
  cleanups.push(() => worker.close());
  return worker;
};

const openTab = (name: string) => fireEvent.click(screen.getByRole('tab', { name }));
const card = (jobId: string) => document.querySelector(`[data-jobcast-debug] article[data-job="${jobId}"]`);

/** Opens the Jobs tab and waits until the job's card names `code`; returns what it says. */
async function problem(jobId: string, code: string, timeout = UI): Promise<string> {
  openTab('Jobs');
  let text = '';
  await waitForDom(() => {
    text = card(jobId)?.querySelector(`[data-problem="${code}"]`)?.textContent ?? '';
    expect(text).not.toBe('');
  }, timeout);
  return text;
}

/** Runs the why-check for a room (and job) from the panel; returns the first failed hop, the summary line and each hop. */
async function whyCheck(room: string, jobId?: string) {
  openTab('Why no update?');
  fireEvent.change(screen.getByRole('combobox', { name: /^Room/ }), { target: { value: room } });
  fireEvent.change(screen.getByRole('combobox', { name: /^Job id/ }), { target: { value: jobId ?? '' } });
  fireEvent.click(screen.getByRole('button', { name: 'Run check' }));
  const about = `${room}${jobId ? ` (job ${jobId})` : ''}`;
  const summary = await screen.findByText((_, element) => element?.tagName === 'P' && (element.textContent ?? '').includes(`for ${about}`), {}, UI);
  const hops = screen.getByRole('list', { name: 'Hops' });
  const hop = (id: string) => {
    const item = hops.querySelector(`li[data-hop="${id}"]`)!;
    return { ok: item.getAttribute('data-ok'), text: item.textContent ?? '' };
  };
  return { first: hops.querySelector('li[data-first="true"]')?.getAttribute('data-hop') ?? undefined, summary: summary.textContent ?? '', hop };
}

async function serverRoom(stack: TestStack, room: string): Promise<Array<{ status: JobStatus }>> {
  const response = await fetch(`${stack.url}/jobcast/rooms/${room}`, { headers: { authorization: 'Bearer user:alice' } });
  return ((await response.json()) as { jobs?: Array<{ status: JobStatus }> }).jobs ?? [];
}

describe('JobcastDebugPanel names each failure mode, staged for real', () => {
  it('names NO_WORKER on a job queued where no worker listens, and fails the job hop (mode 1)', async () => {
    const staged = await openPage();
    const { jobId } = await staged.stack.server.enqueue(staged.queue, 'summarize', {}, { rooms: [staged.room] });

    expect(await problem(jobId, 'NO_WORKER')).toContain(`No worker takes it NO_WORKER Nothing will run it now. No worker listens on queue "${staged.queue}": it waits until one starts.`);
    const check = await whyCheck(staged.room, jobId);
    expect(check.first).toBe('job');
    expect(check.summary).toContain(`job ${jobId} is waiting: no worker listens on queue "${staged.queue}": it waits until one starts (NO_WORKER)`);
  });

  it('names NO_WORKER, pushed by the worker watch, on a job queued behind the only worker once that worker dies (mode 1.1)', async () => {
    const staged = await openPage();
    const { stack, queue, room } = staged;
    const worker = await hangingWorker(staged);
    const busy = await stack.server.enqueue(queue, 'hangs', {}, { rooms: [room] });
    await worker.started(busy.jobId);
    const queued = await stack.server.enqueue(queue, 'queued', {}, { rooms: [room] });
    await jobState(room, queued.jobId, 'waiting');
    // Queued while its worker lived (busy with the other job): nothing to warn about. (A
    // NO_WORKER verdict on an add is read again if its view of the workers is older than 250 ms,
    // and the watch's next look, 2 s on, clears a warning that view got wrong.)
    openTab('Jobs');
    await waitForDom(() => expect(card(queued.jobId)).not.toBeNull(), UI);
    await waitForDom(() => expect(card(queued.jobId)!.querySelector('[data-problem="NO_WORKER"]')).toBeNull(), UI);

    await worker.kill();
    // The dead worker's lock on the job it ran (30 s) is not taken for a live worker: its
    // connection, seen by name before, is gone.
    const text = await problem(queued.jobId, 'NO_WORKER');
    expect(text).toContain(`No worker listens on queue "${queue}"`);
    // Said by the server's watch of the workers (a `warned` event), not when the job was added.
    const rows = within(screen.getByRole('table', { name: `Timeline of job ${queued.jobId}` })).getAllByRole('row');
    expect(rows.at(-1)!.querySelectorAll('td')[1]!.textContent).toMatch(/^warned/);
    const check = await whyCheck(room, queued.jobId);
    expect(check.first).toBe('job');
    expect(check.hop('job').text).toContain('(NO_WORKER)');
  }, 90_000);

  it("names NO_WORKER on a job that the queue's only worker, paused, does not take, and fails the job hop (mode 1.2)", async () => {
    const staged = await openPage();
    const { stack, queue, room } = staged;
    const worker = jobcastWorker(staged, async () => undefined);
    await worker.waitUntilReady();
    await worker.pause();
    const { jobId } = await stack.server.enqueue(queue, 'parked', {}, { rooms: [room] });
    // Said once the worker has taken no jobs for 10 s.
    const text = await problem(jobId, 'NO_WORKER', { timeout: 45_000 });
    expect(text).toContain(`The workers connected to queue "${queue}" take no jobs (paused with worker.pause(), never run, or stuck)`);
    const check = await whyCheck(room, jobId);
    expect(check.first).toBe('job');
    expect(check.hop('job').text).toContain(`the workers connected to queue "${queue}" take no jobs`);
  }, 90_000);

  it('says the record is gone and shows the failure that reached the page when removeOnFail erased a failed job (mode 2)', async () => {
    const staged = await openPage();
    const { stack, queue, room } = staged;
    jobcastWorker(staged, async () => {
      await step('fetch', () => 'text');
      await step('persist', () => {
        throw new Error('database timeout (pool of 3 busy)');
      });
    });
    const { jobId } = await stack.server.enqueue(queue, 'erased', {}, { rooms: [room], attempts: 1, removeOnFail: true });

    expect(await problem(jobId, 'FAILED')).toContain('After 1 of 1 attempts at step persist (last completed step: fetch): JOB_FAILED: The job failed.');
    const check = await whyCheck(room, jobId);
    const gone = await screen.findByTestId('record-gone', {}, UI);
    expect(screen.getByTestId('failure-detail').querySelector('summary')?.textContent).toBe(`BullMQ has no record of job ${queue}/${jobId}`);
    expect(gone.textContent).toBe(
      'Its record was removed after it failed (removeOnFail, or a clean): the failure text and stack went with it. ' +
        'The failure that reached this page: JOB_FAILED: The job failed. at step persist (last completed step: fetch).',
    );
    expect(check.hop('job').text).toContain('BullMQ no longer holds its record (removed on failure, e.g. removeOnFail, or cleaned)');
  });

  it('names SWALLOWED on a completed job whose step failed and whose error the job caught (mode 2, swallowed)', async () => {
    const staged = await openPage();
    const { stack, queue, room } = staged;
    jobcastWorker(staged, async () => {
      await step('fetch', () => 'text');
      try {
        await step('transform', () => {
          throw new TypeError("Cannot read properties of undefined (reading 'amount')");
        });
      } catch {
        // The article's bug: the error is logged somewhere and the job carries on.
      }
      await step('persist', () => undefined);
      return 'done';
    });
    const { jobId } = await stack.server.enqueue(queue, 'swallows', {}, { rooms: [room], attempts: 1 });
    await jobState(room, jobId, 'completed');

    expect(await problem(jobId, 'SWALLOWED')).toContain(
      'Failure swallowed SWALLOWED Step transform (attempt 1) failed and the job went on: the error was caught inside the job, so BullMQ never saw it',
    );
    const check = await whyCheck(room, jobId);
    expect(check.hop('job')).toEqual({ ok: 'unknown', text: expect.stringContaining(`job ${jobId} is completed, but step transform failed inside it and the error was caught`) });
  });

  it('names the step a final failure happened at and the last step that completed (mode 3)', async () => {
    const staged = await openPage();
    const { stack, queue, room } = staged;
    jobcastWorker(staged, async () => {
      await step('fetch', () => 'text', { total: 4 });
      await step('summarize', () => 'summary', { total: 4 });
      await step('persist', () => {
        throw new Error("undefined method 'amount' for nil");
      }, { total: 4 });
      await step('notify', () => undefined, { total: 4 });
    });
    const { jobId } = await stack.server.enqueue(queue, 'pipeline', {}, { rooms: [room], attempts: 1 });

    expect(await problem(jobId, 'FAILED')).toContain('Failed for good FAILED After 1 of 1 attempts at step persist (last completed step: summarize): JOB_FAILED: The job failed.');
    const attempt = card(jobId)!.querySelector('[data-attempt="1"]')!.textContent;
    expect(attempt).toMatch(/fetch ✓ [\d.]+ m?s.*summarize ✓ [\d.]+ m?s.*persist ✕ [\d.]+ m?s/);
  });

  it('names BACKOFF with the time the next attempt is due on a job whose first attempt failed (mode 4)', async () => {
    const staged = await openPage();
    const { stack, queue, room } = staged;
    jobcastWorker(staged, async () => {
      await step('fetch', () => {
        throw new Error('503 from the upstream API');
      });
    });
    const { jobId } = await stack.server.enqueue(queue, 'flaky', {}, { rooms: [room], attempts: 3, backoff: { type: 'fixed', delay: 120_000 } });

    expect(await problem(jobId, 'BACKOFF')).toMatch(
      /^Retrying BACKOFF Attempt 1 failed at step fetch \(JOB_FAILED: The job failed\.\)\. Waiting on a backoff until \d\d:\d\d:\d\d\.\d{3} \(in [\d.]+ (s|min)\), then attempt 2 of 3\.$/,
    );
    const check = await whyCheck(room, jobId);
    expect(check.hop('job')).toEqual({ ok: 'unknown', text: expect.stringMatching(/attempt 1 of job \S+ failed at step fetch; it waits on a backoff until \d\d:\d\d:\d\d/) });
  });

  it('names RERUN when a retry ran again the steps its first attempt had completed (mode 5)', async () => {
    const staged = await openPage();
    const { stack, queue, room } = staged;
    let persists = 0;
    // No checkpoint: the retry starts from the top, as Sidekiq's and BullMQ's do.
    jobcastWorker(staged, async () => {
      await step('charge', () => 'charged');
      await step('email', () => 'sent');
      await step('persist', () => {
        if (++persists === 1) throw new Error('deadlock detected');
      });
    });
    const { jobId } = await stack.server.enqueue(queue, 'charge', {}, { rooms: [room], attempts: 2, backoff: { type: 'fixed', delay: 100 } });
    await jobState(room, jobId, 'completed');

    expect(await problem(jobId, 'RERUN')).toContain(
      'Steps ran again RERUN Attempt 2 ran charge, email again after attempt 1 had completed them: what they do (a charge, an email, a row) happened twice unless idempotent.',
    );
    expect(card(jobId)!.querySelector('[data-attempt="2"]')!.textContent).toMatch(/charge ✓ .*email ✓ .*persist ✓/);
  });

  it('names WORKER_LOST with when the lock runs out on an active job whose worker was SIGKILLed mid-step (mode 6)', async () => {
    const staged = await openPage();
    const { stack, queue, room } = staged;
    const worker = await hangingWorker(staged);
    const { jobId } = await stack.server.enqueue(queue, 'doomed', {}, { rooms: [room] });
    await worker.started(jobId);
    openTab('Jobs');
    await waitForDom(() => expect(card(jobId)?.querySelector('dd')?.textContent).toContain('work'), UI);

    await worker.kill();
    expect(await problem(jobId, 'WORKER_LOST')).toMatch(
      /^Worker lost WORKER_LOST The worker running it is gone or stopped renewing its lock: the step on screen will not move\. Its lock runs out at \d\d:\d\d:\d\d\.\d{3}/,
    );
    // Said before BullMQ's stalled check: the job is still active on the page.
    expect(card(jobId)!.querySelector('h4')?.textContent).toContain('active');
    const check = await whyCheck(room, jobId);
    expect(check.first).toBe('job');
    expect(check.summary).toMatch(/is active, but the worker running it is gone \(WORKER_LOST\); its lock runs out at \d\d:\d\d:\d\d\.\d{3}, then BullMQ calls it stalled/);
  });

  it('names STALE_WORKER with both versions on a job a worker on old code ran (mode 7)', async () => {
    const staged = await openPage({ expectedWorkerVersion: '2.0.0' });
    const { stack, queue, room } = staged;
    jobcastWorker(staged, async () => step('summarize', () => 'old summary'), { version: '1.9.0' });
    const { jobId } = await stack.server.enqueue(queue, 'summarize', {}, { rooms: [room] });
    await jobState(room, jobId, 'completed');

    const text = await problem(jobId, 'STALE_WORKER');
    expect(text).toContain('Stale worker STALE_WORKER A worker on other code ran it: a fix deployed since is not in this result.');
    expect(text).toContain('version 1.9.0; this server expects 2.0.0.');
    const check = await whyCheck(room, jobId);
    expect(check.hop('job')).toEqual({ ok: 'unknown', text: expect.stringContaining(`job ${jobId} is completed, run by a worker on other code`) });
  });

  it('names the broadcast hop, and where the events went, when the job reports to a room the page does not hold (mode 8)', async () => {
    // Numeric ids of this test only: the debug endpoint's near-miss search spans every test server on this Redis.
    const id = String(100_000 + Math.floor(Math.random() * 900_000));
    const staged = await stage();
    const { stack, queue } = staged;
    const room = `document:${id}`;
    const eventsRoom = `document:0${id}`;
    renderPage({ ...staged, room });
    await subscribed(room);
    const worker = startWorker(queue, async () => 'done');
    cleanups.push(() => worker.close());
    await stack.server.enqueue(queue, 'misrouted', {}, { rooms: [eventsRoom] });
    await waitFor(async () => (await serverRoom(stack, eventsRoom)).some((event) => event.status.state === 'completed'), 'the job completed', 30_000);

    const check = await whyCheck(room);
    expect(check.first).toBe('broadcast');
    expect(check.summary).toContain(`the server has broadcast nothing to "${room}"; events go to "${eventsRoom}"`);
  });

  it('shows a rejected subscription with its code and message, and names the authorized hop (mode 9)', async () => {
    const staged = await stage({ channels: { 'document:{id}': (user) => user.id === 'alice' } }, 'user:bob');
    renderPage(staged);
    const { room } = staged;
    await waitForDom(() => expect(roomText(room)).toBe('rejected '), UI);

    openTab('Subscriptions');
    const row = within(screen.getByRole('table', { name: 'Subscriptions' })).getByRole('row', { name: new RegExp(`^${escape(room)}\\b`) });
    expect(row.textContent).toContain(`rejected`);
    expect(row.textContent).toContain(`FORBIDDEN You are not allowed to subscribe to "${room}".`);
    const check = await whyCheck(room);
    expect(check.first).toBe('authorized');
    expect(check.summary).toContain(`not authorized: You are not allowed to subscribe to "${room}".`);
  });

  it('names the step of the last attempt, and shows a debug user the failure text, when the record was deleted before the retry (mode 10)', async () => {
    const staged = await openPage();
    const { stack, queue, room } = staged;
    const documentId = uniqueId();
    const documents = new Map([[documentId, 'the text']]);
    const retrying = gate();
    const deleted = gate();
    jobcastWorker(staged, async (job) => {
      // The retry waits until the test deleted the document: the order the article describes, without a race.
      if (job.attemptsMade > 0) {
        retrying.open();
        await deleted.wait;
      }
      const text = await step('load', () => {
        const found = documents.get(documentId);
        if (found === undefined) throw new Error(`RecordNotFound: Couldn't find Document with 'id'=${documentId}`);
        return found;
      });
      await step('summarize', () => {
        if (job.attemptsMade === 0) throw new Error('Net::ReadTimeout from the summarizer');
        return text;
      });
    });
    const { jobId } = await stack.server.enqueue(queue, 'summarize', { documentId }, { rooms: [room], attempts: 2, backoff: { type: 'fixed', delay: 100 } });
    await retrying.wait;
    documents.delete(documentId);
    deleted.open();

    // The final failure names the step the last attempt failed at, not the first attempt's.
    expect(await problem(jobId, 'FAILED')).toContain('After 2 of 2 attempts at step load: JOB_FAILED: The job failed.');
    expect(card(jobId)!.querySelector('[data-attempt="1"]')!.textContent).toMatch(/load ✓ .*summarize ✕/);
    await whyCheck(room, jobId);
    const detail = await screen.findByTestId('failure-detail', {}, UI);
    expect(detail.textContent).toContain(`Failure text (debug access): RecordNotFound: Couldn't find Document with 'id'=${documentId}`);
  });

  it('names DEDUPLICATED, and the job that does the work, on a job deduplication dropped (mode 11)', async () => {
    const staged = await openPage();
    const { stack, queue, room } = staged;
    const release = gate();
    const worker = startWorker(queue, () => release.wait);
    cleanups.push(() => worker.close());
    cleanups.push(() => release.open());
    const first = await stack.server.enqueue(queue, 'summarize', {}, { rooms: [room], deduplication: { id: `doc-${room}` } });
    const second = await stack.server.enqueue(queue, 'summarize', {}, { rooms: [room], deduplication: { id: `doc-${room}` } });
    expect(second.deduplicatedBy).toBe(first.jobId);

    expect(await problem(second.jobId, 'DEDUPLICATED')).toContain(`Deduplicated DEDUPLICATED Not run: job ${first.jobId} does the same work. Follow that job for the result.`);
    const check = await whyCheck(room, second.jobId);
    expect(check.hop('job')).toEqual({ ok: 'unknown', text: expect.stringContaining(`job ${first.jobId} already does this work`) });
  });

  it('counts the broadcasts missed while the socket was down when the job finished, and shows them replayed (mode 12)', async () => {
    const staged = await openPage();
    const { stack, queue, room, client } = staged;
    const finish = gate();
    const worker = startWorker(queue, () => finish.wait);
    cleanups.push(() => worker.close());
    cleanups.push(() => finish.open());
    const { jobId } = await stack.server.enqueue(queue, 'summarize', {}, { rooms: [room] });
    await jobState(room, jobId, 'active');

    // The server drops this page's socket and refuses it until the job has finished without it.
    let refusing = true;
    stack.server.io.use((_socket, next) => (refusing ? next(new Error('maintenance')) : next()));
    stack.server.io.local.disconnectSockets(true);
    await waitFor(() => client.connection.getSnapshot().state !== 'connected', 'the page disconnected');
    finish.open();
    await waitFor(async () => (await serverRoom(stack, room)).some((event) => event.status.jobId === jobId && event.status.state === 'completed'), 'completed while away', 30_000);
    expect(roomText(room)).toContain(`${jobId}=active`);
    refusing = false;

    await jobState(room, jobId, 'completed');
    openTab('Missed broadcasts');
    await waitForDom(() => {
      const row = within(screen.getByRole('table', { name: 'Missed broadcasts per room' })).getByRole('row', { name: new RegExp(`^${escape(room)}\\b`) });
      const cells = [...row.querySelectorAll('td')].map((cell) => Number(cell.textContent));
      const [detected, replayed, resynced, pending] = cells;
      expect({ detected: detected! >= 1, replayed: replayed! >= 1, resynced, pending }).toEqual({ detected: true, replayed: true, resynced: 0, pending: 0 });
    }, UI);
  });

  it('says a job finished before the page subscribed, from the room\'s snapshot (mode 13)', async () => {
    const staged = await stage();
    const { stack, queue, room } = staged;
    const worker = startWorker(queue, async () => 'done');
    cleanups.push(() => worker.close());
    const { jobId } = await stack.server.enqueue(queue, 'summarize', {}, { rooms: [room] });
    await waitFor(async () => (await serverRoom(stack, room)).some((event) => event.status.jobId === jobId && event.status.state === 'completed'), 'completed before the page', 30_000);

    renderPage(staged);
    await jobState(room, jobId, 'completed');
    openTab('Jobs');
    await waitForDom(() => expect(card(jobId)?.querySelector('[data-note="FINISHED_BEFORE_SUBSCRIBE"]')).not.toBeNull(), UI);
    expect(card(jobId)!.querySelector('[data-note="FINISHED_BEFORE_SUBSCRIBE"]')!.textContent).toBe(
      "Finished before this page subscribed: its completed state comes from the room's snapshot, so this page saw none of its events.",
    );
  });
});
