/**
 * `ssh -R` through the gateway with the real OpenSSH client: inside the session,
 * 127.0.0.1:PORT (loopback only) reaches an HTTP server on the client's loopback;
 * cancel-tcpip-forward and disconnect remove it; a certificate without
 * permit-port-forwarding and a login without +SESSION are refused. /metrics counts it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { USER_CA_FILE } from '../../gateway/server-keys.js';
import { GatewayHarness, ownBaseDriver, type SshUser } from '../helpers/gateway-harness.js';
import { eventually, run } from '../helpers/run.js';

const test = suite('ssh remote forwarding');
const gw = new GatewayHarness({ drivers: [ownBaseDriver()] });
let alice: SshUser;
let sessionId = '';
let laptop: Server;
let laptopPort = 0;

const ready = (async () => {
  await gw.start();
  alice = await gw.user('alice');
  laptop = createServer((_request, response) => response.end('hello from the laptop\n'));
  await new Promise<void>((resolve) => laptop.listen(0, '127.0.0.1', resolve));
  laptopPort = (laptop.address() as AddressInfo).port;
  const made = await gw.ssh(alice, 'alice', ['new', '--name', 'remote']);
  assert.is(made.code, 0, made.stderr);
  sessionId = made.stdout.trim();
})();

test.before(async () => {
  await ready;
});
test.after(async () => {
  laptop?.close();
  await gw.stop();
});

/** `curl` inside the session; its output, or '' when nothing answers. */
async function curlInSession(port: number): Promise<string> {
  const r = await gw.ssh(alice, 'alice', [sessionId, `curl -s --max-time 10 http://127.0.0.1:${port}/ || true`]);
  assert.is(r.code, 0, r.stderr);
  return r.stdout;
}

/** Lines of the container's /proc/net/tcp listening on `port` (state 0A), as LOCAL_ADDRESS. */
async function listenersOn(port: number): Promise<string[]> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const r = await gw.ssh(alice, 'alice', [sessionId, `awk '$4 == "0A" && $2 ~ /:${hex}$/ {print $2}' /proc/net/tcp /proc/net/tcp6`]);
  return r.stdout.split('\n').filter(Boolean);
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gw.server.httpPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

test('ssh -R: the client\'s loopback HTTP server answers curl in the session, on the container\'s loopback only; gone after disconnect', async () => {
  const channelsBefore = await metric('mai_ssh_channels_total{kind="forwarded-tcpip"}');
  const forward = gw.spawnSsh(alice, `alice+${sessionId}`, [], ['-N', '-o', 'ExitOnForwardFailure=yes', '-R', `18080:127.0.0.1:${laptopPort}`]);
  try {
    const answer = await eventually(async () => (await curlInSession(18080)) || null, 30_000, 'the forward to answer');
    assert.is(answer, 'hello from the laptop\n');
    assert.equal(await listenersOn(18080), ['0100007F:46A0'], 'bound on 127.0.0.1 only');
    assert.is(await metric('mai_ssh_forwards_active{kind="remote"}'), 1);
    assert.ok((await metric('mai_ssh_channels_total{kind="forwarded-tcpip"}')) > channelsBefore);
    await eventually(async () => gw.audit().some((e) => e.event === 'forward.open' && e.kind === 'remote' && e.port === 18080), 10_000, 'forward.open audited');
  } finally {
    forward.kill();
  }
  await eventually(async () => (await listenersOn(18080)).length === 0, 20_000, 'the listener removed');
  assert.is(await curlInSession(18080), '');
  await eventually(async () => (await metric('mai_ssh_forwards_active{kind="remote"}')) === 0, 10_000, 'the gauge back to 0');
});

test('cancel-tcpip-forward removes the listener; the connection stays', async () => {
  const control = join(gw.dir.path, 'ctl');
  const master = gw.spawnSsh(alice, `alice+${sessionId}`, [], ['-N', '-M', '-S', control]);
  try {
    await eventually(async () => (await run('ssh', ['-S', control, '-O', 'check', 'x'])).code === 0, 20_000, 'the control master');
    const added = await run('ssh', ['-S', control, '-O', 'forward', '-R', `18081:127.0.0.1:${laptopPort}`, 'x']);
    assert.is(added.code, 0, added.stderr);
    assert.is(await eventually(async () => (await curlInSession(18081)) || null, 30_000, 'the forward'), 'hello from the laptop\n');
    const cancelled = await run('ssh', ['-S', control, '-O', 'cancel', '-R', `18081:127.0.0.1:${laptopPort}`, 'x']);
    assert.is(cancelled.code, 0, cancelled.stderr);
    await eventually(async () => (await listenersOn(18081)).length === 0, 20_000, 'the listener removed');
    assert.is((await run('ssh', ['-S', control, '-O', 'check', 'x'])).code, 0, 'the connection is still up');
    const closed = () => gw.audit().some((e) => e.event === 'forward.closed' && e.kind === 'remote' && e.port === 18081);
    await eventually(async () => closed(), 10_000, 'forward.closed audited');
  } finally {
    master.kill();
  }
});

test('refused: a certificate without permit-port-forwarding, and a login without +SESSION', async () => {
  const key = join(gw.dir.path, 'nofwd');
  assert.is((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key])).code, 0);
  const signed = await run('ssh-keygen', ['-q', '-s', join(gw.dataDir, USER_CA_FILE), '-I', 'no-fwd', '-n', 'alice', '-V', '-5m:+1h', '-O', 'no-port-forwarding', `${key}.pub`]);
  assert.is(signed.code, 0, signed.stderr);
  const options = ['-N', '-o', 'ExitOnForwardFailure=yes', '-R', `18082:127.0.0.1:${laptopPort}`];
  const denied = await gw.ssh({ name: 'alice', key, cert: `${key}-cert.pub` }, `alice+${sessionId}`, [], { extra: options, timeoutMs: 30_000 });
  assert.is(denied.code, 255);
  assert.match(denied.stderr, 'remote port forwarding failed');
  const noSession = await gw.ssh(alice, 'alice', [], { extra: options, timeoutMs: 30_000 });
  assert.is(noSession.code, 255);
  const reasons = gw.audit().filter((e) => e.event === 'forward.refused' && e.kind === 'remote').map((e) => e.reason);
  assert.ok(reasons.includes('NOT_PERMITTED') && reasons.includes('NO_SESSION'), reasons.join(', '));
  assert.equal(await listenersOn(18082), []);
});

test.run();
