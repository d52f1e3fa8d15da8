/**
 * Malformed frames, shaped like published advisories:
 * - socket.io-parser (CVE-2022-2421, CVE-2023-32695): binary placeholders with a bogus or
 *   huge `num`, object / `__proto__` / reserved event names, deep nesting, ack-id overflow;
 * - socket.io (CVE-2024-38355): reserved event names such as "error";
 * - engine.io (CVE-2022-21676, CVE-2022-41940): RSV bits, resets mid-request, invalid packet types;
 * - ws (CVE-2024-37890): an upgrade with thousands of headers; unmasked and bogus frames;
 * - long-polling POSTs with malformed bodies.
 * The server must refuse or close, never crash; any `ok: true` for another tenant's room counts.
 */
import { EVENTS } from '../../shared/index.js';
import { ALLOWED_ORIGIN, connectAttacker, type TenantEnv } from './tenant.js';
import { frame, openRawWebSocket, rawHttp, SOCKET_PATH, upgradeRequest } from './rawTcp.js';
import { describeError, sleep, type ScenarioContext } from './report.js';

const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Socket.IO packets written straight onto the Engine.IO transport (no Socket.IO encoder in between). */
const SOCKET_IO_PACKETS: Array<string | { text: string; binary: Buffer[] }> = [
  '2["error"]', '2["error",{"message":"x"}]', '2["connect"]', '2["disconnect"]', '2["disconnecting"]', '2["newListener","x"]',
  '2["removeListener"]', '2["connect_error"]', '2[{"toString":"x"}]', '2[{}]', '2[null]', '2[1]', '2[[]]', '2[true]', '2[]', '2{}', '2"s"', '2[',
  '2["__proto__",{}]', '2["constructor",{}]', '2["hasOwnProperty"]', '2["toString"]', '2["valueOf",{"room":"tenant:b:document:secret"}]',
  { text: '51-["room:subscribe",{"_placeholder":true,"num":99999999}]', binary: [Buffer.from('x')] },
  { text: '51-["room:subscribe",{"_placeholder":true,"num":"splice"}]', binary: [Buffer.from('x')] },
  { text: '51-["room:subscribe",{"_placeholder":true,"num":"__proto__"}]', binary: [Buffer.from('x')] },
  { text: '51-["room:subscribe",{"_placeholder":true,"num":-1}]', binary: [Buffer.from('x')] },
  { text: '51-["room:subscribe",{"room":{"_placeholder":true,"num":0}}]', binary: [Buffer.from('tenant:b:document:secret')] },
  { text: '52-["room:subscribe",{"_placeholder":true,"num":1.5}]', binary: [Buffer.from('a'), Buffer.from('b')] },
  { text: '5999999999-["room:subscribe",{"_placeholder":true,"num":0}]', binary: [Buffer.alloc(8)] },
  '51-["room:subscribe",{"_placeholder":true,"num":0}]', '5-["x"]', '5a-["x"]', '6', '61-[{"_placeholder":true,"num":0}]',
  `2["room:subscribe",${deep(6_000)}]`, `2["room:subscribe",{"room":${deepObject(2_500)}}]`, `20["room:subscribe",${deep(6_000)}]`,
  '299999999999999999999["room:subscribe",{"room":"tenant:a:document:1"}]', '2-1["room:subscribe",{"room":"tenant:a:document:1"}]',
  '3999["x"]', '3', '3abc', '0', '0/admin,', '0{"token":1}', '1', '4{"message":"x"}', '7', '9[]', '-1', 'x', '', '2/nope,["room:subscribe",{}]',
  '20["room:subscribe",{"room":"tenant:b:document:secret","__proto__":{"room":"tenant:a:document:1"}}]',
  '20["room:subscribe",{"__proto__":{"room":"tenant:b:document:secret"}}]',
  '20["room:subscribe",{"room":"tenant:b:document:secret","constructor":{"prototype":{"ok":true}}}]',
];

/** Engine.IO-level garbage after a valid upgrade and CONNECT. */
const ENGINE_PACKETS = ['9', 'x', '', '4', '7', '-1', '6', '5', '1', '2probe', '3', '0', '8', '40', '41', '44{}', '4' + '\u0000'.repeat(100), 'b' + 'AAAA'];

/** Frames that break the WebSocket framing itself, each on a fresh connection. */
const BAD_FRAMES: Array<[string, Buffer[]]> = [
  ['unmasked text frame', [frame({ payload: '42["room:subscribe",{"room":"tenant:a:document:1"}]', mask: false })]],
  ['RSV1 without an extension', [frame({ payload: '3', rsv: 4 })]],
  ['RSV2 (CVE-2022-21676)', [frame({ payload: '3', rsv: 2 })]],
  ['RSV3', [frame({ payload: '3', rsv: 1 })]],
  ['reserved opcode 3', [frame({ payload: 'x', opcode: 3 })]],
  ['reserved control opcode 0xB', [frame({ payload: 'x', opcode: 0xb })]],
  ['ping with a 126-byte payload', [frame({ payload: 'p'.repeat(126), opcode: 9 })]],
  ['fragmented ping', [frame({ payload: 'p', opcode: 9, fin: false })]],
  ['continuation without a start', [frame({ payload: 'x', opcode: 0 })]],
  ['text frame with invalid UTF-8', [frame({ payload: Buffer.from([0x34, 0xff, 0xfe, 0xc3]) })]],
  ['64-bit length with the top bit set', [frame({ payload: 'x', length: 2n ** 63n + 5n })]],
  ['length past maxPayload, announced', [frame({ payload: 'x', length: 2n ** 40n })]],
  ['length past maxPayload, sent', [frame({ payload: '4' + 'a'.repeat(100_000) })]],
  ['close with code 999', [frame({ payload: Buffer.from([0x03, 0xe7]), opcode: 8 })]],
  ['close with a 1-byte payload', [frame({ payload: Buffer.from([0x03]), opcode: 8 })]],
  ['text inside a fragmented message', [frame({ payload: '4', fin: false }), frame({ payload: '2' })]],
  ['3000 fragments', Array.from({ length: 3_000 }, () => frame({ payload: 'aaaaaaa', opcode: 0, fin: false }))],
];

export async function malformedFramesScenario(ctx: ScenarioContext, env: TenantEnv): Promise<void> {
  const port = Number(new URL(env.url).port);
  const tried = (count = 1) => ctx.tally.tried('malformed frames', count);

  // 1. Socket.IO packets through a real client's transport; reconnect whenever the server drops it.
  let attacker = await connectAttacker(ctx, env, 'mallory');
  for (const packet of SOCKET_IO_PACKETS) {
    if (attacker.socket.disconnected) attacker = await connectAttacker(ctx, env, 'mallory');
    const engine = attacker.socket.io.engine;
    if (typeof packet === 'string') engine.write(packet);
    else {
      engine.write(packet.text);
      for (const binary of packet.binary) engine.write(binary);
    }
    tried();
    await sleep(15);
  }
  // Seeded mutations of valid packets: flipped, cut, duplicated and inserted bytes.
  const rng = ctx.rng.fork('packet-mutations');
  const valid = [
    `20${JSON.stringify([EVENTS.subscribe, { room: 'tenant:b:document:secret', since: { epoch: 'e', seq: 1 } }])}`,
    `21${JSON.stringify([EVENTS.replay, { room: 'tenant:b:document:secret', epoch: 'e', after: 0, to: 5 }])}`,
    `51-${JSON.stringify([EVENTS.subscribe, { room: { _placeholder: true, num: 0 } }])}`,
  ];
  const noise = ['"', '[', ']', '{', '}', ',', ':', '\\', '\u0000', '-', '9', '_placeholder', '__proto__', '\ud800', '\x1e'];
  for (let index = 0; index < 180; index++) {
    if (attacker.socket.disconnected) attacker = await connectAttacker(ctx, env, 'mallory');
    let packet = rng.pick(valid);
    for (let edits = rng.int(1, 4); edits > 0; edits--) {
      const at = rng.int(0, packet.length);
      const kind = rng.int(0, 3);
      if (kind === 0) packet = packet.slice(0, at) + rng.pick(noise) + packet.slice(at);
      else if (kind === 1) packet = packet.slice(0, at) + packet.slice(at + rng.int(1, 6));
      else if (kind === 2) packet = packet.slice(0, at);
      else packet = packet.slice(0, at) + packet.slice(at, at + rng.int(1, 30)).repeat(rng.int(2, 50)) + packet.slice(at);
    }
    attacker.socket.io.engine.write(packet);
    if (packet.startsWith('5')) attacker.socket.io.engine.write(Buffer.from('tenant:b:document:secret'));
    tried();
    if (index % 20 === 19) await sleep(10);
  }
  await sleep(200);
  await env.health('socket.io-parser advisory shapes and mutated packets');

  // 2. Raw WebSocket: Engine.IO garbage after a valid upgrade and CONNECT, and Socket.IO acks read by hand.
  const open = async () => {
    const ws = await openRawWebSocket(ctx.scope, port, SOCKET_PATH, { Origin: ALLOWED_ORIGIN });
    await ws.waitFor((message) => message.startsWith('0{'));
    ws.sendText(`40${JSON.stringify({ token: env.token('mallory'), protocol: 1 })}`);
    await ws.waitFor((message) => message.startsWith('40'));
    return ws;
  };
  let ws = await open();
  for (const packet of ENGINE_PACKETS) {
    if (ws.isClosed()) ws = await open();
    ws.sendText(packet);
    tried();
    await sleep(15);
  }
  ws = ws.isClosed() ? await open() : ws;
  ws.sendText(`420${JSON.stringify([EVENTS.subscribe, { room: 'tenant:b:document:secret' }])}`);
  const ack = await ws.waitFor((message) => message.startsWith('430'));
  if (ack?.includes('"ok":true')) ctx.tally.unauthorizedJoin(`raw WebSocket subscribe to tenant:b:document:secret: ${ack.slice(0, 120)}`);
  tried();
  ws.socket.destroy();

  // 3. Broken framing, each on a fresh connection: the server must close, not crash.
  for (const [name, frames] of BAD_FRAMES) {
    const conn = await open().catch((error: unknown) => {
      ctx.tally.crash(`raw WebSocket before "${name}": ${describeError(error)}`);
      return undefined;
    });
    if (!conn) continue;
    for (const bytes of frames) conn.send(bytes);
    await conn.waitFor(() => false, 400);
    conn.socket.destroy();
    tried();
  }
  await env.health('malformed WebSocket frames');

  // 4. Upgrades: thousands of headers (ws CVE-2024-37890), bad Origins, missing keys, resets.
  const junk = (count: number) => Array.from({ length: count }, (_, index) => `X-Junk-${index}: ${index}`);
  const upgrades: Array<[string, string, { reset?: boolean; mustRefuse?: boolean }]> = [
    ['2100 headers before the key', upgradeRequest(SOCKET_PATH, { Origin: ALLOWED_ORIGIN }, junk(2_100)), {}],
    ['2100 headers, key dropped', `GET ${SOCKET_PATH} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${junk(2_100).join('\r\n')}\r\nSec-WebSocket-Key: ${Buffer.alloc(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`, {}],
    ['4000 headers (past the header size limit)', upgradeRequest(SOCKET_PATH, {}, junk(4_000)), {}],
    ['evil Origin', upgradeRequest(SOCKET_PATH, { Origin: 'https://evil.example' }), { mustRefuse: true }],
    ['two Origins, evil first', upgradeRequest(SOCKET_PATH, {}, ['Origin: https://evil.example', `Origin: ${ALLOWED_ORIGIN}`]), { mustRefuse: true }],
    ['no Sec-WebSocket-Key', upgradeRequest(SOCKET_PATH, { 'Sec-WebSocket-Key': '' }), {}],
    ['bad Sec-WebSocket-Key', upgradeRequest(SOCKET_PATH, { 'Sec-WebSocket-Key': 'abc' }), {}],
    ['Sec-WebSocket-Version 12', upgradeRequest(SOCKET_PATH, { 'Sec-WebSocket-Version': '12' }), {}],
    ['transport=__proto__', upgradeRequest('/socket.io/?EIO=4&transport=__proto__'), {}],
    ['transport=constructor', upgradeRequest('/socket.io/?EIO=4&transport=constructor'), {}],
    ['transport=polling upgrade', upgradeRequest('/socket.io/?EIO=4&transport=polling'), {}],
    ['EIO=3', upgradeRequest('/socket.io/?EIO=3&transport=websocket'), {}],
    ['unknown sid', upgradeRequest('/socket.io/?EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA'), {}],
    ['reset mid-upgrade (CVE-2022-41940)', upgradeRequest(SOCKET_PATH).slice(0, 60), { reset: true }],
    ['reset after the upgrade', upgradeRequest(SOCKET_PATH, { Origin: ALLOWED_ORIGIN }), { reset: true }],
    ['reset mid-POST', `POST /socket.io/?EIO=4&transport=polling&sid=x HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n42["ro`, { reset: true }],
  ];
  for (const [name, request, options] of upgrades) {
    const reply = await rawHttp(port, request, { waitMs: 800, ...(options.reset ? { reset: true } : {}) });
    if (options.mustRefuse && reply.status === 101) ctx.tally.unauthorizedJoin(`raw upgrade with ${name} was accepted`);
    if ((reply.status ?? 0) >= 500) ctx.tally.crash(`raw upgrade "${name}": HTTP ${reply.status}`);
    tried();
  }
  await env.health('raw upgrades');

  // 5. Long-polling: malformed POST bodies on a real session, and query fuzz.
  await pollingBodies(ctx, env);
  await env.health('long-polling bodies');
}

async function pollingBodies(ctx: ScenarioContext, env: TenantEnv): Promise<void> {
  const headers = { origin: ALLOWED_ORIGIN, 'content-type': 'text/plain;charset=UTF-8' };
  const session = async () => {
    const open = await (await fetch(`${env.url}/socket.io/?EIO=4&transport=polling`, { headers })).text();
    const { sid } = JSON.parse(open.slice(1)) as { sid: string };
    return `${env.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`;
  };
  const judge = (what: string, status: number) => {
    if (status >= 500) ctx.tally.crash(`polling ${what}: HTTP ${status}`);
    ctx.tally.tried('malformed frames');
  };
  const bodies: Array<string | Buffer> = [
    '', '\x1e\x1e\x1e', '4'.repeat(100), 'b@@@notbase64', 'bAAAA\x1e9', '9999', '40{', `40${'{'.repeat(5_000)}`, '1', '6', '2probe',
    Buffer.from([0xff, 0xfe, 0x00, 0x34, 0x32]), 'x'.repeat(200_000), `42${JSON.stringify(['room:subscribe', { room: 'tenant:a:document:1' }])}`,
  ];
  for (const body of bodies) {
    const url = await session();
    const response = await fetch(url, { method: 'POST', body: Buffer.isBuffer(body) ? new Uint8Array(body) : body, headers: Buffer.isBuffer(body) ? { ...headers, 'content-type': 'application/octet-stream' } : headers }).catch(() => undefined);
    judge(`POST ${JSON.stringify(String(body).slice(0, 20))}`, response?.status ?? 0);
    await response?.arrayBuffer().catch(() => undefined);
  }
  // A polling client that does CONNECT properly, then asks for another tenant's room.
  const url = await session();
  await fetch(url, { method: 'POST', body: `40${JSON.stringify({ token: env.token('mallory'), protocol: 1 })}`, headers });
  await (await fetch(url, { headers })).text();
  await fetch(url, { method: 'POST', body: `420${JSON.stringify(['room:subscribe', { room: 'tenant:b:document:secret' }])}`, headers });
  let reply = '';
  for (let tries = 0; tries < 5 && !reply.includes('430'); tries++) reply += await (await fetch(url, { headers })).text();
  if (/430\[\{"ok":true/.test(reply)) ctx.tally.unauthorizedJoin('long-polling subscribe to tenant:b:document:secret answered ok');
  judge('subscribe to another tenant', 200);
  // Two polls at once on one session (Engine.IO closes it), wrong sids, odd methods and queries.
  const overlapping = await session();
  const polls = await Promise.all([fetch(overlapping, { headers }), fetch(overlapping, { headers })].map((p) => p.then((r) => r.status, () => 0)));
  polls.forEach((status) => judge('overlapping polls', status));
  for (const [method, path] of [
    ['POST', '/socket.io/?EIO=4&transport=polling&sid=nope'], ['GET', '/socket.io/?EIO=4&transport=polling&sid=__proto__'], ['GET', '/socket.io/?transport=polling'],
    ['GET', '/socket.io/?EIO=5&transport=polling'], ['GET', '/socket.io/?EIO=4&transport=polling&b64=1&j=0'], ['PUT', '/socket.io/?EIO=4&transport=polling'],
    ['DELETE', '/socket.io/?EIO=4&transport=polling'], ['OPTIONS', '/socket.io/?EIO=4&transport=polling'], ['GET', '/socket.io/?EIO=4&transport=constructor'],
    ['GET', '/jobcast/rooms/%E0%A4%A'], ['GET', '/jobcast/rooms/..%2F..%2Fhealth'], ['GET', '/jobcast/debug/rooms/%00'],
  ] as const) {
    const response = await fetch(`${env.url}${path}`, { method, headers, ...(method === 'POST' ? { body: '4' } : {}) }).catch(() => undefined);
    await response?.arrayBuffer().catch(() => undefined);
    judge(`${method} ${path}`, response?.status ?? 0);
  }
}
