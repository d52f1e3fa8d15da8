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
  const socket = io(URL, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: `client-${index}`, protocol: 1 } });
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
  // Open connections in small waves so the server's accept queue is not the thing measured.
  if (index % 200 === 199) await new Promise((resolve) => setTimeout(resolve, 50));
}
const timer = setInterval(() => {
  if (subscribed + failed >= count) {
    clearInterval(timer);
    console.log(`subscribed ${subscribed} failed ${failed}`);
  }
}, 100);
process.on('SIGTERM', () => process.exit(0));
