/**
 * The SSH gateway in `/metrics`, scraped over HTTP from the real `mai serve` while the
 * real OpenSSH client connects: connections, authentication attempts by result and
 * reason, channels by kind, bytes both ways, how long commands ran, forwards. And who
 * may scrape: with `server.metricsToken` only a bearer of it; with `server.metricsListen`
 * only that address serves `/metrics`.
 */
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { GatewayHarness, ownBaseDriver, type SshUser } from '../helpers/gateway-harness.js';
import { eventually, run } from '../helpers/run.js';

const test = suite('ssh metrics and who may read them');
const TOKEN = 'scrape-token-0123456789abcdef';
const gw = new GatewayHarness({ drivers: [ownBaseDriver()], server: { metricsToken: TOKEN } });
let alice: SshUser;
let sessionId = '';

test.before(async () => {
  if (gw.server) return;
  await gw.start();
  alice = await gw.user('alice');
  const made = await gw.ssh(alice, 'alice', ['new', '--name', 'measured']);
  assert.is(made.code, 0, made.stderr);
  sessionId = made.stdout.trim();
});
test.after(() => gw.stop());

async function scrape(port = gw.server.httpPort, token: string | null = TOKEN): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
}

/** Every sample of the exposition as `name{labels}` -> value. */
async function samples(): Promise<Map<string, number>> {
  const text = await (await scrape()).text();
  return new Map(
    text
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.lastIndexOf(' ')), Number(line.slice(line.lastIndexOf(' ') + 1))] as const),
  );
}

const value = (all: Map<string, number>, key: string) => all.get(key) ?? 0;

test('counters move with connections, authentication, channels, bytes and commands', async () => {
  const before = await samples();
  const payload = 'x'.repeat(100_000);
  const r = await gw.ssh(alice, 'alice', [sessionId, 'wc -c; sleep 0.2'], { input: payload });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), '100000');
  // A certificate of another CA: refused, with its reason.
  const stranger = join(gw.dir.path, 'stranger');
  assert.is((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger])).code, 0);
  assert.is((await run('ssh-keygen', ['-q', '-s', stranger, '-I', 'x', '-n', 'alice', `${stranger}.pub`])).code, 0);
  assert.is((await gw.ssh({ name: 'alice', key: stranger, cert: `${stranger}-cert.pub` }, 'alice', ['ls'])).code, 255);

  const after = await eventually(async () => {
    const now = await samples();
    return value(now, 'mai_ssh_connections_total') >= value(before, 'mai_ssh_connections_total') + 2 && value(now, 'mai_ssh_connections_open') === 0 ? now : null;
  }, 10_000, 'both connections counted and closed');
  const moved = (key: string) => value(after, key) - value(before, key);
  assert.ok(moved('mai_ssh_auth_attempts_total{result="ok",reason=""}') >= 1);
  assert.ok(moved('mai_ssh_auth_attempts_total{result="refused",reason="CERT_UNKNOWN_CA"}') >= 1);
  assert.ok(moved('mai_ssh_channels_total{kind="session"}') >= 1);
  assert.ok(moved('mai_ssh_bytes_total{direction="in"}') >= 100_000);
  assert.ok(moved('mai_ssh_bytes_total{direction="out"}') >= 7);
  assert.ok(moved('mai_ssh_exec_duration_seconds_count{route="exec"}') >= 1);
  assert.ok(moved('mai_ssh_exec_duration_seconds_bucket{route="exec",le="0.1"}') === 0, 'a command that slept 0.2 s is not in the 0.1 s bucket');
  assert.ok(moved('mai_ssh_exec_duration_seconds_sum{route="exec"}') >= 0.2);
});

test('with metricsToken, /metrics answers only its bearer', async () => {
  assert.is((await scrape(gw.server.httpPort, null)).status, 401);
  assert.is((await scrape(gw.server.httpPort, 'wrong-token-0123456789abcdef')).status, 401);
  const ok = await scrape();
  assert.is(ok.status, 200);
  assert.match(await ok.text(), '# TYPE mai_ssh_connections_open gauge');
});

test('with metricsListen, /metrics is served there and not on the API port', async () => {
  const separate = new GatewayHarness({ server: { metricsListen: '127.0.0.1:0' } });
  try {
    await separate.start();
    const port = separate.server.metricsPort!;
    assert.ok(port > 0);
    const there = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.is(there.status, 200);
    assert.match(await there.text(), 'mai_ssh_connections_total');
    assert.is((await fetch(`http://127.0.0.1:${separate.server.httpPort}/metrics`)).status, 404);
    assert.is((await fetch(`http://127.0.0.1:${port}/sessions`)).status, 404, 'nothing else is served there');
  } finally {
    await separate.stop();
  }
});

test.run();
