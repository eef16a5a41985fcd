/**
 * The WebSocket routes as a non-browser client sees them (the `ws` library), against
 * the real server on a real socket and sessions on the real engine: a bearer token in
 * Sec-WebSocket-Protocol, close codes for refusals, the Origin check, resize, the
 * attach killed with its socket, keepalive, output backpressure, and logs.
 */
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import WebSocket from 'ws';
import type { SessionRecord } from '../../gateway/domain/types.js';
import { eventually } from '../helpers/run.js';
import { collect } from '../docker/docker-fixtures.js';
import { openApiFixture, TOKENS, type ApiFixture } from './api-fixture.js';

let fixture: ApiFixture;
let base = '';
let session: SessionRecord;
const alice = { name: 'alice', admin: false };

test.before(async () => {
  fixture = await openApiFixture('sqlite');
  base = await listen(fixture);
  session = await fixture.sessions.create(alice, { driver: 'base', name: 'ws' });
});

test.after(async () => {
  for (const s of await fixture.sessions.list({ name: 'cleanup', admin: true }, { all: true })) await fixture.sessions.close(s).catch(() => undefined);
  await fixture?.close();
});

async function listen(api: ApiFixture): Promise<string> {
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  return `ws://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
}

const bearerProtocol = (token: string) => `mai.bearer.${Buffer.from(token).toString('base64url')}`;

/** A client that collects what it receives and how it was closed. */
function connect(path: string, options: { token?: string; origin?: string; autoPong?: boolean; server?: string } = {}) {
  const protocols = ['mai.v1', ...(options.token ? [bearerProtocol(options.token)] : [])];
  const socket = new WebSocket(`${options.server ?? base}${path}`, protocols, { ...(options.origin ? { origin: options.origin } : {}), autoPong: options.autoPong ?? true });
  // A string grows in place (V8 ropes); concatenating Buffers would be quadratic over a flood.
  let received = '';
  socket.on('message', (data: Buffer) => (received += data.toString('latin1')));
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    socket.once('error', reject);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return {
    socket,
    opened,
    closed,
    text: () => received,
    /** Waits for `pattern` in the latest 64 KiB received. */
    until: (pattern: RegExp, what: string) =>
      eventually(async () => pattern.test(received.slice(-65536)), 30_000, what).catch((err: Error) => {
        throw new Error(`${err.message}; received: ${JSON.stringify(received.slice(-600))}`);
      }),
    type: (line: string) => socket.send(Buffer.from(`${line}\r`)),
  };
}

/** How a handshake was refused (`HTTP 403`); fails the test if it was accepted. */
async function refusal(opened: Promise<void>): Promise<string> {
  try {
    await opened;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the handshake was accepted');
}

async function inSession(script: string, where = session, service = fixture.sessions): Promise<string> {
  const proc = await service.exec(where, { cmd: ['bash', '-c', script], tty: false });
  const out = collect(proc.stdout);
  proc.stdin.end();
  await proc.wait();
  return (await out).toString();
}

test('a bearer token in Sec-WebSocket-Protocol opens the terminal; the server answers mai.v1, never the token', async () => {
  const client = connect(`/sessions/${session.id}/terminal?cols=100&rows=30`, { token: TOKENS.alice });
  await client.opened;
  assert.is(client.socket.protocol, 'mai.v1');
  client.type('echo $((6*7))');
  await client.until(/[\r\n]42\r\n/, '42');
  const metrics = await fixture.app.inject({ method: 'GET', url: '/metrics' });
  assert.match(metrics.body, /^mai_websocket_terminals_open 1$/m);
  client.type('stty size');
  await client.until(/[\r\n]30 100\r\n/, 'the size asked for at open');
  // A resize is a text frame of JSON.
  client.socket.send(JSON.stringify({ type: 'resize', cols: 72, rows: 20 }));
  await eventually(async () => {
    client.type('stty size');
    await new Promise((r) => setTimeout(r, 300));
    return /[\r\n]20 72\r\n/.test(client.text());
  }, 30_000, 'stty size after the resize');
  client.type('exit 3');
  assert.equal(await client.closed, { code: 1000, reason: 'exit 3' });
  const audit = fixture.auditLines();
  assert.ok(audit.some((e) => e['event'] === 'terminal.opened' && e['session'] === session.id && e['user'] === 'alice'));
  await eventually(async () => fixture.auditLines().some((e) => e['event'] === 'terminal.closed' && e['code'] === 3 && e['by'] === 'process'), 10_000, 'terminal.closed');
});

test('refusals are close codes the page can read: 4401 without credentials, 4404 for another user, 4400 for a bad control frame', async () => {
  const anonymous = connect(`/sessions/${session.id}/terminal`);
  assert.equal(await anonymous.closed, { code: 4401, reason: 'AUTH_REQUIRED' });
  const wrong = connect(`/sessions/${session.id}/terminal`, { token: 'not-a-token-of-anyone-here' });
  assert.equal(await wrong.closed, { code: 4401, reason: 'AUTH_FAILED' });
  const bob = connect(`/sessions/${session.id}/terminal`, { token: TOKENS.bob });
  assert.equal(await bob.closed, { code: 4404, reason: 'SESSION_NOT_FOUND' });
  const logs = connect(`/sessions/${session.id}/logs?follow=true`, { token: TOKENS.bob });
  assert.equal(await logs.closed, { code: 4404, reason: 'SESSION_NOT_FOUND' });
  await eventually(async () => fixture.auditLines().filter((e) => e['event'] === 'websocket.refused' && e['user'] === 'bob').length === 2, 10_000, 'refusals audited');

  const garbled = connect(`/sessions/${session.id}/terminal`, { token: TOKENS.alice });
  await garbled.opened;
  garbled.socket.send('{"type":"resize","cols":"many"}');
  assert.equal(await garbled.closed, { code: 4400, reason: 'INPUT_INVALID' });
});

test('Origin: another page is refused at the handshake (403); this server’s own origin is let in', async () => {
  const foreign = connect(`/sessions/${session.id}/terminal`, { token: TOKENS.alice, origin: 'https://evil.example' });
  assert.is(await refusal(foreign.opened), 'HTTP 403');
  const own = connect(`/sessions/${session.id}/terminal`, { token: TOKENS.alice, origin: base.replace('ws:', 'http:') });
  await own.opened;
  own.socket.close();
  await eventually(async () => fixture.auditLines().some((e) => e['event'] === 'websocket.refused' && e['origin'] === 'https://evil.example'), 10_000, 'the refusal audited');
});

test('the processes started for a socket are killed when it goes, as for an ssh client', async () => {
  const client = connect(`/sessions/${session.id}/terminal`, { token: TOKENS.alice });
  await client.opened;
  client.type('sleep 7771');
  await eventually(async () => (await inSession('pgrep -f "sleep 777[1]" || true')).trim() !== '', 15_000, 'sleep to run');
  client.socket.terminate();
  await eventually(async () => (await inSession('pgrep -f "sleep 777[1]" || true')).trim() === '', 15_000, 'sleep to be killed');
});

test('keepalive: a peer that stops answering pings is dropped, and its attach killed', async () => {
  // A one-second interval, so that a silent peer is found out within the test.
  const quick = await openApiFixture('sqlite', {}, { server: { websocketKeepalive: 1 } });
  try {
    const server = await listen(quick);
    const target = await quick.sessions.create(alice, { driver: 'base', name: 'keepalive' });
    const silent = connect(`/sessions/${target.id}/terminal`, { token: TOKENS.alice, autoPong: false, server });
    await silent.opened;
    const { code } = await silent.closed;
    assert.is(code, 1006, 'terminated, no close frame');
    // terminal.closed is emitted once the attach has exited: it was killed when the socket went.
    const closed = await eventually(async () => quick.auditLines().find((e) => e['event'] === 'terminal.closed' && e['session'] === target.id), 15_000, 'the attach to end');
    assert.is(closed['by'], 'client');
    assert.ok(quick.auditLines().some((e) => e['event'] === 'terminal.opened' && e['session'] === target.id));
    await quick.sessions.close(target);
  } finally {
    await quick.close();
  }
});

test('backpressure: a flood of output waits for a reader that does not read, then all of it arrives', async () => {
  const client = connect(`/sessions/${session.id}/terminal`, { token: TOKENS.alice });
  await client.opened;
  // Not reading from the start: the flood can only go as far as the buffers on the way.
  client.socket.pause();
  client.type('stty -echo; seq 1 5000000; echo flood-$((1+1))-done');
  const seqRunning = async () => (await inSession('pgrep -x seq || true')).trim() !== '';
  await eventually(seqRunning, 15_000, 'the flood to start');
  // About 40 MB: far more than the server may hold for one socket (1 MiB, see pumpToSocket).
  let largest = 0;
  const server = [...fixture.app.websocketServer.clients][0]!;
  for (let i = 0; i < 30; i++) {
    largest = Math.max(largest, server.bufferedAmount);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(largest <= 2 * 1024 * 1024, `the server queued ${largest} bytes for a reader that does not read`);
  assert.ok(await seqRunning(), 'the writer waits instead of finishing into the server’s memory');
  client.socket.resume();
  await client.until(/flood-2-done/, 'all of the output');
  assert.match(client.text(), /\r\n5000000\r\n/);
  client.socket.close();
});

test('backpressure: input is not read faster than the process takes it', async () => {
  const client = connect(`/sessions/${session.id}/terminal`, { token: TOKENS.alice });
  await client.opened;
  // The shell sleeps first: nothing reads the terminal's input meanwhile.
  client.type('stty raw -echo; sleep 4; head -c 32000000 > /dev/null; echo; echo input-$((2+2))-done');
  // Exactly this sleep (the container's entrypoint sleeps too).
  await eventually(async () => (await inSession('pgrep -fx "sleep 4" || true')).trim() !== '', 15_000, 'the sleep');
  const chunk = Buffer.alloc(64_000, 'x');
  for (let sent = 0; sent < 32_000_000; sent += chunk.length) client.socket.send(chunk, { binary: true });
  await new Promise((r) => setTimeout(r, 1500));
  // Without backpressure the server would have slurped all of it off loopback by now.
  assert.ok(client.socket.bufferedAmount > 16_000_000, `the client still holds ${client.socket.bufferedAmount} bytes the server did not take`);
  await client.until(/input-4-done/, 'the input to be consumed');
  assert.is(client.socket.bufferedAmount, 0);
  client.socket.close();
});

test('logs over WebSocket: tail without follow ends with 1000; with follow, new lines arrive', async () => {
  await inSession('echo first-line > /proc/1/fd/1; echo second-line > /proc/1/fd/1');
  const last = connect(`/sessions/${session.id}/logs?tail=1`, { token: TOKENS.alice });
  assert.equal(await last.closed, { code: 1000, reason: 'end of log' });
  assert.is(last.text(), 'second-line\n');
  const follow = connect(`/sessions/${session.id}/logs?follow=true&tail=0`, { token: TOKENS.alice });
  await follow.opened;
  // The engine's follow starts a moment after the handshake: print until a line comes through.
  await eventually(async () => {
    await inSession('echo followed-line > /proc/1/fd/1');
    return /followed-line\n/.test(follow.text());
  }, 30_000, 'a new line');
  assert.not.match(follow.text(), /second-line/);
  follow.socket.close();
  // The same limits as over HTTP: a validation error refuses the handshake.
  assert.is(await refusal(connect(`/sessions/${session.id}/logs?tail=lots`, { token: TOKENS.alice }).opened), 'HTTP 400');
});

test.run();
