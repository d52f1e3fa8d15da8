import { io } from 'socket.io-client';
import { createJobcastClient } from '../../client/index.js';
import { now } from './load.js';
import { waitUntil } from './pools.js';
import type { Mode } from './relay.js';

const MISSED = 1_000;

/**
 * A client subscribed to `bench:0` goes away while `whileAway` sends 1,000 events to that
 * room, then comes back. jobcast: the SDK resubscribes with its cursor and replays; the time
 * is from reconnecting to the last missed event applied. raw: whatever arrives after the
 * return is counted (the raw relay has nothing to replay).
 */
export async function measureReplay(mode: Mode, url: string, whileAway: () => Promise<void>): Promise<{ ms: number; recovered: number; of: number }> {
  let received = 0;
  if (mode === 'jobcast') {
    const client = createJobcastClient({ url, getToken: () => 'replay', socketOptions: { transports: ['websocket'] }, logSize: 10 });
    const handle = client.subscribe('bench:0', () => received++);
    await waitUntil(() => handle.getSnapshot().state === 'active');
    client.disconnect();
    await whileAway();
    received = 0;
    const start = now();
    client.connect();
    const complete = await waitUntil(() => received >= MISSED, 10_000);
    const ms = complete ? now() - start : NaN;
    client.close();
    return { ms, recovered: received, of: MISSED };
  }
  const socket = io(url, { transports: ['websocket'], forceNew: true });
  socket.on('connect', () => socket.emit('join', 'bench:0'));
  await waitUntil(() => socket.connected);
  socket.disconnect();
  await whileAway();
  socket.on('status', () => received++);
  socket.connect();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  socket.close();
  return { ms: NaN, recovered: received, of: MISSED };
}
