import { afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { EVENTS, MAX_CLIENT_MESSAGE_BYTES, type StatusEvent } from '../../shared/index.js';
import { connectRaw, connected, request, startStack, startWorker, uniqueName, waitFor } from '../support/stack.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A small seeded generator, so a failing run can be replayed exactly. */
function random(seed: number) {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

const huge = 'x'.repeat(MAX_CLIENT_MESSAGE_BYTES * 2);
const PAYLOADS: unknown[] = [
  null,
  undefined,
  42,
  'document:1',
  [],
  [{ room: 'document:1' }],
  {},
  { room: null },
  { room: 12 },
  { room: 'document:1', since: 'yesterday' },
  { room: 'document:1', since: { epoch: '', seq: -1 } },
  { room: 'document:1', since: { epoch: 'e', seq: 1.5 } },
  { room: 'a'.repeat(5_000) },
  { room: '__proto__' },
  JSON.parse('{"__proto__": {"polluted": true}, "room": "document:1:x"}'),
  { room: 'document:\u0000' },
  { room: 'document:１' },
  { room: 'document:1', epoch: 'x', after: 5, to: 1 },
  { room: 'document:1', epoch: 'x', after: 0, to: 1e9 },
];
const EVENTS_TRIED = [EVENTS.subscribe, EVENTS.unsubscribe, EVENTS.replay, 'unknown:event', 'constructor', '__proto__'];
const RAW_FRAMES = ['42["room:subscribe",', '4{"nope"', '42[]', '49999999999', '42["room:subscribe",{"room":"document:1"},', `42${huge}`];

describe('malformed and oversized input', () => {
  it('survives 500 malformed or oversized messages while a canary client keeps receiving updates', async () => {
    const queue = uniqueName('fuzz');
    const stack = await startStack({ queues: [queue] });
    cleanups.push(() => stack.close());
    const canary = connectRaw(stack.url, 'user:canary');
    cleanups.push(() => canary.close());
    const received: StatusEvent[] = [];
    canary.on(EVENTS.status, (event: StatusEvent) => received.push(event));
    await connected(canary);
    expect(await request(canary, EVENTS.subscribe, { room: 'document:1' })).toMatchObject({ ok: true });

    const worker = startWorker(queue, async (job) => {
      for (let step = 1; step <= 5; step++) {
        await job.updateProgress(step * 20);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return 'ok';
    });
    cleanups.push(() => worker.close());

    const next = random(20261122);
    const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)]!;
    let attacker: Socket | undefined;
    let errorAcks = 0;
    let sent = 0;
    const jobs: string[] = [];
    while (sent < 500) {
      if (!attacker || attacker.disconnected) {
        attacker?.close();
        attacker = connectRaw(stack.url, 'user:mallory');
        cleanups.push(() => attacker?.close());
        await connected(attacker);
      }
      const kind = next();
      if (kind < 0.1) {
        // Broken Socket.IO packets straight onto the transport: the server drops this connection only.
        attacker.io.engine.write(pick(RAW_FRAMES));
      } else if (kind < 0.15) {
        attacker.emit(EVENTS.subscribe, { room: huge });
      } else if (kind < 0.3) {
        attacker.emit(pick(EVENTS_TRIED), pick(PAYLOADS)); // no ack function at all
      } else {
        const answer = await request<{ ok: boolean }>(attacker, pick(EVENTS_TRIED.slice(0, 3)), pick(PAYLOADS), 5_000).catch(() => undefined);
        if (answer && answer.ok === false) errorAcks++;
      }
      sent++;
      if (sent % 100 === 0) jobs.push((await stack.server.enqueue(queue, 'canary', {}, { rooms: ['document:1'] })).jobId);
    }
    attacker?.close();

    for (const jobId of jobs) {
      await waitFor(() => received.some((e) => e.status.jobId === jobId && e.event === 'completed'), `canary sees ${jobId} complete`);
    }
    // Every job's events arrived, in order, with no hole in the room's cursor.
    expect(received.map((e) => e.seq)).toEqual(received.map((_, index) => index + 1));
    expect(received.filter((e) => e.event === 'completed')).toHaveLength(5);
    expect(errorAcks).toBeGreaterThan(100);
    // The server still answers new clients and HTTP.
    expect((await fetch(`${stack.url}/jobcast/health`)).status).toBe(200);
    const late = connectRaw(stack.url, 'user:late');
    cleanups.push(() => late.close());
    await connected(late);
    expect(await request(late, EVENTS.subscribe, { room: 'document:1' })).toMatchObject({ ok: true });
  });

  it('answers malformed HTTP paths with JSON, never a stack or server paths', async () => {
    const stack = await startStack({ queues: [uniqueName('paths')], canDebug: () => true });
    cleanups.push(() => stack.close());
    for (const path of ['/jobcast/rooms/%ZZ', '/jobcast/debug/rooms/%E0%A4%A']) {
      const response = await fetch(`${stack.url}${path}`, { headers: { authorization: 'Bearer user:alice' } });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/json');
      const body = await response.text();
      expect(JSON.parse(body)).toEqual({ error: { code: 'BAD_REQUEST', message: 'The request could not be read.' } });
      expect(body).not.toMatch(/node_modules|\/work\/|at /);
    }
  });

  it('answers BAD_REQUEST with a message for a payload that does not match the protocol', async () => {
    const stack = await startStack({ queues: [uniqueName('fuzz')] });
    cleanups.push(() => stack.close());
    const socket = connectRaw(stack.url, 'user:alice');
    cleanups.push(() => socket.close());
    await connected(socket);
    const answer = await request(socket, EVENTS.subscribe, { room: 7 });
    expect(answer).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(answer.error.message).toContain('room:subscribe');
    // The protocol is zod/mini, which loads no locale: the server's classic zod supplies English, so the reason stays readable.
    expect(answer.error.message).toContain('expected string, received number');
    expect(await request(socket, EVENTS.unsubscribe, { room: 'document:1' })).toMatchObject({ ok: false, error: { code: 'NOT_SUBSCRIBED' } });
    expect(socket.connected).toBe(true);
  });
});
