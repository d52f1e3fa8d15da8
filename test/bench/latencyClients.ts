/**
 * Subscribed clients in one process for the real-worker phases, speaking jobcast's protocol
 * (or the relays' `join`) with raw socket.io-client. Client `i` watches room `bench:<OFFSET+i>`
 * alone. On each `completed` status it records now − `doneAt`, the time the worker's processor
 * returned (set in the job's return value). Env: URL, MODE, COUNT, OFFSET.
 * Prints `subscribed <n> failed <m>`; answers the IPC message 'report' with what it recorded.
 */
import { io, type Socket } from 'socket.io-client';
import { machineNow } from './load.js';

const { URL = '', MODE = 'jobcast', COUNT = '1000', OFFSET = '0' } = process.env;
const count = Number(COUNT);
let subscribed = 0;
let failed = 0;
/**
 * [n, ms, sinceIngest, …]: which job, its latency, and for jobcast the part after the server
 * built the status (its `at`, a millisecond clock; NaN for the relays).
 */
const samples: number[] = [];
let duplicates = 0;
const seen = new Set<number>();

const record = (result: { n?: number; doneAt?: number } | undefined, ingestedAt = NaN) => {
  const at = machineNow();
  // jobcast's `at` (when it built the status) is the server's wall clock, in milliseconds.
  const wallAt = Date.now();
  if (typeof result?.n !== 'number' || typeof result.doneAt !== 'number') return;
  if (seen.has(result.n)) {
    duplicates++;
    return;
  }
  seen.add(result.n);
  samples.push(result.n, at - result.doneAt, wallAt - ingestedAt);
};

/** Each distinct failure once, to stderr, with how often it happened so far. */
const failures = new Map<string, number>();
const report = (failure: string) => {
  failures.set(failure, (failures.get(failure) ?? 0) + 1);
  if (failures.get(failure) === 1) console.error(`[bench clients ${OFFSET}] ${failure}`);
};

/** Statuses received, per lifecycle event (jobcast), to tell a lost status from one that came without its result. */
const events = new Map<string, number>();
const WAVE = 100;
const sockets: Socket[] = [];
for (let index = 0; index < count; index++) {
  const room = `bench:${index + Number(OFFSET)}`;
  const socket = io(URL, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: 60_000, auth: { token: `client-${OFFSET}-${index}`, protocol: 1 } });
  socket.on('connect', () => {
    if (MODE === 'jobcast') {
      socket.emit('room:subscribe', { room }, (answer: { ok: boolean; error?: { code: string } }) => {
        if (answer.ok) return subscribed++;
        failed++;
        report(`subscribe refused: ${answer.error?.code ?? 'unknown'}`);
      });
    } else {
      socket.emit('join', room);
      subscribed++;
    }
  });
  if (MODE === 'jobcast') {
    socket.on('job:status', (event: { event: string; at: number; reason?: string; status: { state: string; data?: { n?: number; doneAt?: number } } }) => {
      const name = event.event === 'reconciled' ? `reconciled (${event.reason}, ${event.status.state}${event.status.data ? '' : ', no data'})` : event.event;
      events.set(name, (events.get(name) ?? 0) + 1);
      if (event.event === 'completed') {
        if (event.status.data) record(event.status.data, event.at);
        else events.set('completed without data', (events.get('completed without data') ?? 0) + 1);
      }
    });
  } else {
    socket.on('status', (event: { state: string; returnvalue?: { n?: number; doneAt?: number } }) => {
      if (event.state === 'completed') record(event.returnvalue);
    });
  }
  socket.on('connect_error', (error) => {
    failed++;
    report(`connect_error: ${error.message}`);
  });
  socket.on('disconnect', (reason) => report(`disconnected: ${reason}`));
  sockets.push(socket);
  // At most WAVE handshakes in flight per process: a connection storm would time clients out
  // (the server authenticates each), and the storm is not what the phase measures.
  while (index + 1 - (subscribed + failed) >= WAVE) await new Promise((resolve) => setTimeout(resolve, 5));
}
const timer = setInterval(() => {
  if (subscribed + failed >= count) {
    clearInterval(timer);
    console.log(`subscribed ${subscribed} failed ${failed}`);
    if (failures.size > 0) console.error(`[bench clients ${OFFSET}] ${[...failures].map(([failure, times]) => `${failure} ×${times}`).join(', ')}`);
  }
}, 100);
process.on('message', (message) => {
  if (message === 'report') process.send?.({ samples, duplicates, events: Object.fromEntries(events), connected: sockets.filter((socket) => socket.connected).length });
});
process.on('SIGTERM', () => process.exit(0));
