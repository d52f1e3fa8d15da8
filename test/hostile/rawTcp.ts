/**
 * Raw loopback TCP for the malformed-frame scenarios: an HTTP request written byte by byte,
 * a WebSocket upgrade done by hand, and a WebSocket frame builder that can break every
 * rule (unmasked, reserved bits and opcodes, oversized control frames, bogus lengths).
 */
import { randomBytes } from 'node:crypto';
import { createConnection, type Socket } from 'node:net';
import type { Scope } from './report.js';

export interface RawReply {
  /** The HTTP status of the first response line, if any arrived. */
  status?: number;
  raw: string;
  closed: boolean;
}

/** Sends `request` and collects what comes back until the server closes or `waitMs` pass. */
export function rawHttp(port: number, request: string | Buffer, options: { waitMs?: number; reset?: boolean } = {}): Promise<RawReply> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let raw = '';
    let closed = false;
    const finish = () => {
      clearTimeout(timer);
      const match = /^HTTP\/1\.1 (\d{3})/.exec(raw);
      socket.destroy();
      resolve({ ...(match ? { status: Number(match[1]) } : {}), raw, closed });
    };
    const timer = setTimeout(finish, options.waitMs ?? 1_000);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      if (raw.length < 64_000) raw += chunk.toString('latin1');
    });
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.once('connect', () => {
      socket.write(request);
      // ECONNRESET in the middle of a request: what CVE-2022-41940 did to engine.io.
      if (options.reset) setTimeout(() => socket.resetAndDestroy(), 20);
    });
  });
}

export const SOCKET_PATH = '/socket.io/?EIO=4&transport=websocket';

export function upgradeRequest(path: string, headers: Record<string, string> = {}, extraLines: string[] = []): string {
  const all: Record<string, string> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  const lines = Object.entries(all)
    .filter(([, value]) => value !== '')
    .map(([name, value]) => `${name}: ${value}`);
  return `GET ${path} HTTP/1.1\r\n${[...extraLines, ...lines].join('\r\n')}\r\n\r\n`;
}

export interface FrameSpec {
  fin?: boolean;
  rsv?: number;
  opcode?: number;
  mask?: boolean;
  payload?: Buffer | string;
  /** Claim this length instead of the payload's (a lie the server must survive). */
  length?: bigint | number;
}

/** One WebSocket frame, as a client would send it (masked) unless told otherwise. */
export function frame(spec: FrameSpec): Buffer {
  const payload = Buffer.isBuffer(spec.payload) ? spec.payload : Buffer.from(spec.payload ?? '', 'utf8');
  const length = BigInt(spec.length ?? payload.length);
  const mask = spec.mask ?? true;
  const head = [((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | ((spec.opcode ?? 1) & 0x0f)];
  let extended = Buffer.alloc(0);
  if (length < 126n) head.push((mask ? 0x80 : 0) | Number(length));
  else if (length < 65_536n) {
    head.push((mask ? 0x80 : 0) | 126);
    extended = Buffer.alloc(2);
    extended.writeUInt16BE(Number(length));
  } else {
    head.push((mask ? 0x80 : 0) | 127);
    extended = Buffer.alloc(8);
    extended.writeBigUInt64BE(length);
  }
  const key = mask ? randomBytes(4) : Buffer.alloc(0);
  const body = mask ? Buffer.from(payload.map((byte, index) => byte ^ key[index % 4]!)) : payload;
  return Buffer.concat([Buffer.from(head), extended, key, body]);
}

/** Text payloads of the server's frames in `buffer` (unmasked, possibly several); returns the rest. */
function parseServerFrames(buffer: Buffer, out: string[]): Buffer {
  // (subarray keeps the same backing store)
  let offset = 0;
  for (;;) {
    if (buffer.length - offset < 2) break;
    const opcode = buffer[offset]! & 0x0f;
    let length = buffer[offset + 1]! & 0x7f;
    let start = offset + 2;
    if (length === 126) {
      if (buffer.length - offset < 4) break;
      length = buffer.readUInt16BE(offset + 2);
      start = offset + 4;
    } else if (length === 127) {
      if (buffer.length - offset < 10) break;
      length = Number(buffer.readBigUInt64BE(offset + 2));
      start = offset + 10;
    }
    if (buffer.length < start + length) break;
    if (opcode === 1) out.push(buffer.subarray(start, start + length).toString('utf8'));
    if (opcode === 8) out.push(`<close ${length >= 2 ? buffer.readUInt16BE(start) : ''}>`);
    offset = start + length;
  }
  return buffer.subarray(offset);
}

export interface RawWebSocket {
  socket: Socket;
  /** HTTP status of the upgrade answer (101 when it worked). */
  status: number;
  /** Text frames (and close frames as `<close code>`) received so far. */
  messages: string[];
  isClosed(): boolean;
  sendText(text: string): void;
  send(bytes: Buffer): void;
  /** Resolves with the first message matching, or undefined after `timeoutMs`. */
  waitFor(match: (message: string) => boolean, timeoutMs?: number): Promise<string | undefined>;
}

/** A WebSocket upgrade by hand; resolves once the server answered the upgrade (or refused it). */
export function openRawWebSocket(scope: Scope, port: number, path = SOCKET_PATH, headers: Record<string, string> = {}): Promise<RawWebSocket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    scope.defer(() => socket.destroy());
    const messages: string[] = [];
    let closed = false;
    let pending: Buffer = Buffer.alloc(0);
    let head: string | undefined;
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      if (head === undefined) reject(new Error('closed before the upgrade answer'));
    });
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (head === undefined) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        head = pending.subarray(0, end).toString('latin1');
        pending = pending.subarray(end + 4);
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
        resolve({
          socket,
          status,
          messages,
          isClosed: () => closed,
          sendText: (text) => socket.write(frame({ payload: text })),
          send: (bytes) => socket.write(bytes),
          waitFor: async (match, timeoutMs = 2_000) => {
            const deadline = Date.now() + timeoutMs;
            while (Date.now() < deadline) {
              const found = messages.find(match);
              if (found !== undefined || closed) return found;
              await new Promise((done) => setTimeout(done, 20));
            }
            return undefined;
          },
        });
      }
      pending = parseServerFrames(pending, messages);
    });
    socket.once('connect', () => socket.write(upgradeRequest(path, headers)));
  });
}
