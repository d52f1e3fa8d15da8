import { createJobcastClient } from '../../client/index.js';
import type { StatusEvent } from '../../shared/index.js';

/** One status event as one line: when, cursor, event, job, state, progress, step, attempt. */
export function formatStatusLine(event: StatusEvent): string {
  const { status } = event;
  const time = new Date(event.at).toISOString().slice(11, 23);
  const progress = typeof status.progress === 'number' ? ` ${status.progress}%` : '';
  const step = status.step ? ` step=${status.step.name}:${status.step.status}` : '';
  const retry = status.willRetry ? ` retry-at=${new Date(status.nextAttemptAt ?? 0).toISOString().slice(11, 19)}` : '';
  const failure = status.failure ? ` failure=${status.failure.code}` : '';
  const correlation = status.correlationId ? ` corr=${status.correlationId}` : '';
  return `${time} #${event.seq} ${event.event.padEnd(17)} ${status.queue}/${status.jobId} ${status.state} attempt ${status.attempt}/${status.maxAttempts}${progress}${step}${retry}${failure}${correlation}`;
}

/**
 * `jobcast tail <room>`: subscribes like a browser would (same token, same rules) and prints
 * the room's events as they happen, plus connection changes and rejections.
 */
export function tailRoom(options: {
  url: string;
  room: string;
  token?: string;
  print: (line: string) => void;
  /** Told when tailing cannot go on: the connection was refused for good, or the room rejected. */
  onGiveUp?: (why: 'refused' | 'rejected') => void;
}): { close: () => void } {
  const client = createJobcastClient({ url: options.url, ...(options.token ? { getToken: () => options.token } : {}) });
  let lastState = '';
  client.connection.subscribe(() => {
    const { state, error } = client.connection.getSnapshot();
    if (state === lastState) return;
    lastState = state;
    options.print(`-- connection ${state}${error ? `: ${error.code} ${error.message}` : ''}`);
    // Disconnected with an error is a refusal the client will not retry (a bad token, an origin).
    if (state === 'disconnected' && error) options.onGiveUp?.('refused');
  });
  const handle = client.subscribe(options.room, (event) => options.print(formatStatusLine(event)));
  let lastRoomState = '';
  handle.subscribe(() => {
    const snapshot = handle.getSnapshot();
    if (snapshot.state === lastRoomState) return;
    lastRoomState = snapshot.state;
    if (snapshot.state === 'rejected') {
      options.print(`-- ${options.room} rejected: ${snapshot.error?.code} ${snapshot.error?.message}${snapshot.error?.hint ? ` (${snapshot.error.hint})` : ''}`);
      options.onGiveUp?.('rejected');
    } else if (snapshot.state === 'active') {
      options.print(`-- subscribed to ${options.room} at #${snapshot.seq} (${Object.keys(snapshot.jobs).length} jobs in the snapshot)`);
    }
  });
  return { close: () => client.close() };
}
