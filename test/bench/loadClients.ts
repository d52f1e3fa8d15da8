/**
 * Many idle subscribed clients in one process, for the memory figure. Env: URL, MODE,
 * COUNT, ROOMS, OFFSET. Prints `subscribed <n>` when all are in, then waits for SIGTERM.
 */
import { io } from 'socket.io-client';

const { URL = '', MODE = 'jobcast', COUNT = '1000', ROOMS = '1000', OFFSET = '0' } = process.env;
const count = Number(COUNT);
let subscribed = 0;
let failed = 0;
const sockets = [];
for (let index = 0; index < count; index++) {
  const room = `bench:${(index + Number(OFFSET)) % Number(ROOMS)}`;
  const socket = io(URL, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: 60_000, auth: { token: `client-${index}`, protocol: 1 } });
  socket.on('connect', () => {
    if (MODE === 'raw') {
      socket.emit('join', room);
      subscribed++;
    } else {
      socket.emit('room:subscribe', { room }, (answer: { ok: boolean }) => (answer.ok ? subscribed++ : failed++));
    }
  });
  socket.on('connect_error', () => failed++);
  sockets.push(socket);
  // At most 100 handshakes in flight: a connection storm times clients out (the server
  // authenticates each), and the storm is not what the phase measures.
  while (index + 1 - (subscribed + failed) >= 100) await new Promise((resolve) => setTimeout(resolve, 5));
}
const timer = setInterval(() => {
  if (subscribed + failed >= count) {
    clearInterval(timer);
    console.log(`subscribed ${subscribed} failed ${failed}`);
  }
}, 100);
process.on('SIGTERM', () => process.exit(0));
