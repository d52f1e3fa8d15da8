import { createServer } from 'node:http';
import { Server } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';
import { describe, expectTypeOf, it } from 'vitest';
import type { ChannelParams, Channels, JobcastIo, JobcastServer, JobcastServerOptions, JobcastSocket } from '../../server/index.js';
import { createJobcastServer } from '../../server/index.js';
import { EVENTS, type ClientToServerEvents, type ServerToClientEvents, type StatusEvent, type SubscribeAck } from '../../shared/index.js';

/**
 * The public types, pinned: checked by `npm run typecheck` (these tests assert nothing at run
 * time). Nothing here starts a server: the calls sit in functions that are never called.
 */
interface User {
  id: string;
  debug?: boolean;
}
const authenticate = ({ token }: { token: string | undefined }): User | null => (token ? { id: token } : null);

describe('channel params', () => {
  it('are typed from the pattern: document:{id} gives { id: string }', () => {
    expectTypeOf<ChannelParams<'document:{id}'>>().toEqualTypeOf<{ readonly id: string }>();
    expectTypeOf<ChannelParams<'org:{org}:doc:{id}'>>().toEqualTypeOf<{ readonly org: string; readonly id: string }>();
    expectTypeOf<ChannelParams<'admin:dashboard'>>().toEqualTypeOf<{}>();
    expectTypeOf<ChannelParams<string>>().toEqualTypeOf<Record<string, string>>();
  });

  it('reach each rule of createJobcastServer with the user authenticate returns', () => {
    const start = (httpServer: ReturnType<typeof createServer>) =>
      createJobcastServer({
        httpServer,
        redis: 'redis://127.0.0.1:6379',
        queues: ['summaries'],
        authenticate,
        channels: {
          'document:{id}': (user, params) => {
            expectTypeOf(user).toEqualTypeOf<User>();
            expectTypeOf(params).toEqualTypeOf<{ readonly id: string }>();
            return params.id.length > 0;
          },
          'org:{org}:report:{id}': async (_user, { org, id }) => {
            expectTypeOf(org).toEqualTypeOf<string>();
            return id !== org;
          },
          // @ts-expect-error a rule may only read the params its pattern names
          'project:{id}': (_user, { name }) => name === 'x',
        },
      });
    expectTypeOf(start).returns.resolves.toEqualTypeOf<JobcastServer<User>>();
  });

  it('accept channels built apart as Channels<User>, with Record params', () => {
    const channels: Channels<User> = { 'document:{id}': (_user, params) => params.id !== undefined };
    expectTypeOf(channels).toMatchTypeOf<JobcastServerOptions<User>['channels']>();
  });
});

describe('the Socket.IO server', () => {
  it('is typed with the shared event maps and the socket data', () => {
    expectTypeOf<JobcastServer<User>['io']>().toEqualTypeOf<JobcastIo<User>>();
    const listen = (io: JobcastIo<User>) => {
      io.on('connection', (socket) => {
        expectTypeOf(socket).toEqualTypeOf<JobcastSocket<User>>();
        expectTypeOf(socket.data.user).toEqualTypeOf<User>();
        expectTypeOf(socket.data.rooms).toEqualTypeOf<Set<string>>();
        socket.on(EVENTS.subscribe, (request, ack) => {
          expectTypeOf(ack).parameter(0).toEqualTypeOf<SubscribeAck>();
          ack({ ok: false, error: { code: 'FORBIDDEN', message: `not ${request.room}` } });
        });
      });
      io.to('jobcast:document:1').emit(EVENTS.status, null as unknown as StatusEvent);
      // @ts-expect-error a status event has its schema's shape
      io.to('jobcast:document:1').emit(EVENTS.status, { room: 'document:1' });
      // @ts-expect-error servers emit only the server → client events
      io.emit(EVENTS.subscribe, { room: 'document:1' });
    };
    expectTypeOf(listen).toBeFunction();
  });

  it('accepts an untyped Socket.IO server as the io option', () => {
    const io = new Server(createServer());
    expectTypeOf(io).toMatchTypeOf<JobcastServerOptions<User>['io']>();
    io.close();
  });
});

describe('the client socket', () => {
  it('is the server maps swapped (Socket.IO convention): requests typed, pushes typed', () => {
    const use = (socket: ClientSocket<ServerToClientEvents, ClientToServerEvents>) => {
      void socket.timeout(1_000).emitWithAck(EVENTS.subscribe, { room: 'document:1', since: { epoch: 'e1', seq: 3 } });
      // @ts-expect-error a subscribe request names one room
      void socket.timeout(1_000).emitWithAck(EVENTS.subscribe, { rooms: ['document:1'] });
      socket.on(EVENTS.status, (event) => expectTypeOf(event).toEqualTypeOf<StatusEvent>());
    };
    expectTypeOf(use).toBeFunction();
  });
});
