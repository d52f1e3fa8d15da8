import { io, type Socket } from 'socket.io-client';
import { createJobcastClient, type JobcastClient } from '../../client/index.js';
import { now } from './load.js';
import type { Mode } from './relay.js';

/** Every delivery the clients saw: which event (`n`), to which client, when. */
export interface Deliveries {
  /** n → times received, across all clients (duplicates show as extra entries for one client). */
  perClient: Array<Map<number, number>>;
  count: number;
}

export interface ClientPool {
  deliveries: Deliveries;
  /** Clients subscribed and ready. */
  ready: Promise<void>;
  clients: Array<{ disconnect(): void; connect(): void }>;
  close(): void;
}

/**
 * `perRoom` clients in each of `rooms` rooms, in this process. jobcast clients use the SDK
 * (subscribe, cursor, replay); raw ones join the room and listen, as the twenty-line relay
 * expects. Each records when it received each event number.
 */
export function startPool(mode: Mode, urls: string[], rooms: number, perRoom: number, sdk = false): ClientPool {
  const deliveries: Deliveries = { perClient: [], count: 0 };
  const ready: Array<Promise<unknown>> = [];
  const clients: ClientPool['clients'] = [];
  const closers: Array<() => void> = [];
  let index = 0;
  for (let room = 0; room < rooms; room++) {
    for (let copy = 0; copy < perRoom; copy++) {
      const url = urls[index++ % urls.length]!;
      const seen = new Map<number, number>();
      deliveries.perClient.push(seen);
      const record = (n: number) => {
        deliveries.count++;
        // Keep the first arrival; a second one for the same n is a duplicate (counted by the caller).
        if (seen.has(n)) seen.set(-n - 1, now());
        else seen.set(n, now());
      };
      if (mode === 'jobcast' && !sdk) {
        // The protocol without the SDK: hundreds of SDK instances in one process would measure this process, not the relay.
        const socket: Socket = io(url, { transports: ['websocket'], forceNew: true, auth: { token: `c${index}`, protocol: 1 } });
        let subscribed = false;
        socket.on('connect', () => socket.emit('room:subscribe', { room: `bench:${room}` }, () => (subscribed = true)));
        socket.on('job:status', (event: { event: string; status: { data?: { n: number } } }) => {
          if (event.event === 'completed' && event.status.data) record(event.status.data.n);
        });
        ready.push(waitUntil(() => subscribed));
        clients.push({ disconnect: () => socket.disconnect(), connect: () => socket.connect() });
        closers.push(() => socket.close());
      } else if (mode === 'jobcast') {
        const client: JobcastClient = createJobcastClient({ url, getToken: () => `c${index}`, socketOptions: { transports: ['websocket'] }, logSize: 10 });
        const handle = client.subscribe(`bench:${room}`, (event) => {
          if (event.event === 'completed') record((event.status.data as { n: number }).n);
        });
        ready.push(waitUntil(() => handle.getSnapshot().state === 'active').then(() => undefined));
        clients.push({ disconnect: () => client.disconnect(), connect: () => client.connect() });
        closers.push(() => client.close());
      } else {
        const socket: Socket = io(url, { transports: ['websocket'], forceNew: true });
        socket.on('connect', () => socket.emit('join', `bench:${room}`));
        socket.on('status', (payload: { returnvalue: { n: number } }) => record(payload.returnvalue.n));
        ready.push(waitUntil(() => socket.connected).then(() => new Promise((resolve) => setTimeout(resolve, 50))));
        clients.push({ disconnect: () => socket.disconnect(), connect: () => socket.connect() });
        closers.push(() => socket.close());
      }
    }
  }
  return { deliveries, ready: Promise.all(ready).then(() => undefined), clients, close: () => closers.forEach((close) => close()) };
}

export async function waitUntil(check: () => boolean, timeoutMs = 60_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}
