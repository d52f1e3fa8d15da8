/**
 * Subscribed clients in one process for the real-worker phases, speaking jobcast's protocol
 * (or the relays' `join`) with raw socket.io-client. Client `i` watches room `bench:<OFFSET+i>`
 * alone. On each `completed` status it records now − `doneAt`, the time the worker's processor
 * returned (set in the job's return value). Env: URL, MODE, COUNT, OFFSET.
 * Prints `subscribed <n> failed <m>`; answers the IPC message 'report' with what it recorded.
 */
import { io, type Socket } from 'socket.io-client';
import { now } from './load.js';

const { URL = '', MODE = 'jobcast', COUNT = '1000', OFFSET = '0' } = process.env;
const count = Number(COUNT);
let subscribed = 0;
let failed = 0;
/** [n, ms, n, ms, …]: which job, and its latency. */
const samples: number[] = [];
let duplicates = 0;
const seen = new Set<number>();

const record = (result: { n?: number; doneAt?: number } | undefined) => {
  const at = now();
  if (typeof result?.n !== 'number' || typeof result.doneAt !== 'number') return;
  if (seen.has(result.n)) {
    duplicates++;
    return;
  }
  seen.add(result.n);
  samples.push(result.n, at - result.doneAt);
};

const sockets: Socket[] = [];
for (let index = 0; index < count; index++) {
  const room = `bench:${index + Number(OFFSET)}`;
  const socket = io(URL, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: `client-${OFFSET}-${index}`, protocol: 1 } });
  socket.on('connect', () => {
    if (MODE === 'jobcast') {
      socket.emit('room:subscribe', { room }, (answer: { ok: boolean }) => (answer.ok ? subscribed++ : failed++));
    } else {
      socket.emit('join', room);
      subscribed++;
    }
  });
  if (MODE === 'jobcast') {
    socket.on('job:status', (event: { event: string; status: { data?: { n?: number; doneAt?: number } } }) => {
      if (event.event === 'completed') record(event.status.data);
    });
  } else {
    socket.on('status', (event: { state: string; returnvalue?: { n?: number; doneAt?: number } }) => {
      if (event.state === 'completed') record(event.returnvalue);
    });
  }
  socket.on('connect_error', () => failed++);
  sockets.push(socket);
  // Open connections in small waves so the server's accept queue is not the thing measured.
  if (index % 200 === 199) await new Promise((resolve) => setTimeout(resolve, 50));
}
const timer = setInterval(() => {
  if (subscribed + failed >= count) {
    clearInterval(timer);
    console.log(`subscribed ${subscribed} failed ${failed}`);
  }
}, 100);
process.on('message', (message) => {
  if (message === 'report') process.send?.({ samples, duplicates, connected: sockets.filter((socket) => socket.connected).length });
});
process.on('SIGTERM', () => process.exit(0));
