import { randomUUID } from 'node:crypto';
import type { ReactNode } from 'react';
import { createJobcastClient } from '../../../client/index.js';
import type { JobcastClient, JobcastClientOptions } from '../../../client/index.js';
import { useJobStatus, useRoom } from '../../../client/react/index.js';

/**
 * A room id no other test uses. Every test server on the run's Redis shares one Socket.IO adapter
 * channel and the debug endpoint sums the stats of all of them, so shared names like
 * "document:1" would mix tests. Hex only, so "documents:<id>" still gets a "document:<id>" hint.
 */
export const uniqueId = (): string => randomUUID().replace(/-/g, '').slice(0, 12);

/** Cleanups run in reverse order after each test (clients before stacks). */
export const cleanups: Array<() => Promise<unknown> | unknown> = [];

export async function runCleanups(): Promise<void> {
  while (cleanups.length) await cleanups.pop()!();
}

/**
 * A client as a browser page would make one, for jsdom: websocket only (jsdom's XHR applies
 * CORS checks), a StrictMode-friendly unsubscribe delay, and quick reconnects.
 */
export function testClient(url: string, token: string, options: Partial<JobcastClientOptions> = {}): JobcastClient {
  const client = createJobcastClient({
    url,
    getToken: () => token,
    unsubscribeDelayMs: 1_000,
    reconnectDelayMs: 100,
    reconnectDelayMaxMs: 500,
    socketOptions: { transports: ['websocket'] },
    ...options,
  });
  cleanups.push(() => client.close());
  return client;
}

/** Opens a promise from outside: a worker waits on `wait`, the test calls `open()`. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

/** Shows one room's state and jobs, as an app component would. */
export function RoomView({ room }: { room: string }): ReactNode {
  const snapshot = useRoom(room);
  return (
    <p data-testid={`room-${room}`}>
      {snapshot.state} {Object.values(snapshot.jobs).map((job) => `${job.jobId}=${job.state}`).join(',')}
    </p>
  );
}

/** Shows one job's status (or the room's latest job). */
export function JobView({ room, jobId, testId = 'job' }: { room: string; jobId?: string; testId?: string }): ReactNode {
  const { status, room: snapshot } = useJobStatus(room, jobId);
  return (
    <p data-testid={testId}>
      {snapshot.state}: {status ? `${status.jobId} ${status.state}${status.progress === undefined ? '' : ` ${JSON.stringify(status.progress)}`}` : 'none'}
    </p>
  );
}
