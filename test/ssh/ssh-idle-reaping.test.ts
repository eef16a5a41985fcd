/**
 * Sessions that end by themselves, through the real `mai serve` and OpenSSH: with a 5 s
 * idle timeout an unattached session is closed and an attached one kept; an attached
 * terminal is warned before the session's lifetime (--ttl) ends, then it is closed;
 * each reaping is audited with its reason and counted in /metrics; `ls` shows what
 * happens next to each session. With `idleAction: stop` the session starts again on the
 * next connect.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { GatewayHarness, ownBaseDriver, type SshUser } from '../helpers/gateway-harness.js';
import { eventually } from '../helpers/run.js';
import { TerminalClient } from '../helpers/terminal-client.js';

const test = suite('session lifecycle: idle reaping and lifetimes');
// Short settings so the test need not wait minutes; the warning lead time is configurable for that.
const gw = new GatewayHarness({
  drivers: [ownBaseDriver()],
  sessions: { idleTimeout: '5s', idleAction: 'close', maxLifetime: '1h', warnBefore: '10s' },
});
let alice: SshUser;
const clients: TerminalClient[] = [];

test.before(async () => {
  if (gw.server) return;
  await gw.start();
  alice = await gw.user('alice');
});
test.after(async () => {
  for (const client of clients) await client.close();
  await gw.stop();
});

async function create(args: string[]): Promise<string> {
  const made = await gw.ssh(alice, 'alice', ['new', ...args]);
  assert.is(made.code, 0, made.stderr);
  return made.stdout.trim();
}

async function ids(): Promise<string[]> {
  const r = await gw.ssh(alice, 'alice', ['ls', '--json']);
  assert.is(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as Array<{ id: string }>).map((s) => s.id);
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gw.server.httpPort}/metrics`)).text();
  return Number(text.split('\n').find((l) => l.startsWith(`${name} `))?.split(' ')[1] ?? 0);
}

test('ls shows what happens next to each session; --ttl beyond the maximum is refused', async () => {
  const id = await create(['--name', 'listed', '--ttl', '30m']);
  const json = JSON.parse((await gw.ssh(alice, 'alice', ['ls', '--json'])).stdout) as Array<{ id: string; expiry: { reason: string; action: string; at: string } }>;
  const listed = json.find((s) => s.id === id)!;
  assert.is(listed.expiry.reason, 'idle');
  assert.is(listed.expiry.action, 'close');
  const table = (await gw.ssh(alice, 'alice', ['ls'])).stdout;
  assert.match(table, /EXPIRES/);
  assert.match(table, /close in \d+s \(idle\)/);
  const tooLong = await gw.ssh(alice, 'alice', ['new', '--ttl', '2h']);
  assert.is(tooLong.code, 1);
  assert.match(tooLong.stderr, "over this server's maximum session lifetime");
  assert.is((await gw.ssh(alice, 'alice', ['close', id])).code, 0);
});

test('idle 5 s: the unattached session is closed, the attached one kept; its terminal is warned before its lifetime ends, then it is closed', async () => {
  const reapedBefore = await metric('mai_sessions_reaped_total{reason="idle",action="close"}');
  const idle = await create(['--name', 'idle']);
  // Created and attached in one go (`new` with a terminal): never unattached for 5 s, however loaded the machine.
  const terminal = new TerminalClient(gw.spawnSsh(alice, 'alice', ['new', '--name', 'busy', '--ttl', '25s'], ['-tt']));
  clients.push(terminal);
  // Its id is the first line on stdout, after "starting session ID" on stderr.
  const busy = /(?:^|\n)([a-z2-9]{10})\r?\n/.exec(await terminal.waitFor(/(?:^|\n)[a-z2-9]{10}\r?\n/))![1]!;
  terminal.type('echo attached-$((3*4))\r');
  await terminal.waitFor('attached-12');

  await eventually(async () => !(await ids()).includes(idle), 30_000, 'the idle session closed');
  assert.ok((await ids()).includes(busy), 'the attached session is kept');
  await eventually(
    async () => gw.audit().some((e) => e.event === 'session.reaped' && e.session === idle && e.reason === 'idle' && e.action === 'close'),
    10_000,
    'the reaping audited',
  );
  assert.ok(gw.audit().some((e) => e.event === 'session.closed' && e.session === idle && e.reason === 'idle' && e.by === 'mai-lifecycle'));
  assert.ok((await metric('mai_sessions_reaped_total{reason="idle",action="close"}')) > reapedBefore);

  await terminal.waitFor("this session's lifetime ends in", 30_000);
  assert.ok((await ids()).includes(busy), 'warned, not yet closed');
  await eventually(async () => !(await ids()).includes(busy), 40_000, 'the session closed at its lifetime end');
  await eventually(async () => gw.audit().some((e) => e.event === 'session.reaped' && e.session === busy && e.reason === 'lifetime'), 10_000, 'audited');
  await terminal.exited;
});

test('idleAction stop: the idle session is stopped, and starts again on the next connect', async () => {
  const stopping = new GatewayHarness({ drivers: [ownBaseDriver()], sessions: { idleTimeout: '3s', idleAction: 'stop' } });
  try {
    await stopping.start();
    const bob = await stopping.user('bob');
    const made = await stopping.ssh(bob, 'bob', ['new', '--name', 'napper']);
    assert.is(made.code, 0, made.stderr);
    await eventually(async () => {
      const list = JSON.parse((await stopping.ssh(bob, 'bob', ['ls', '--json'])).stdout) as Array<{ name: string; status: string }>;
      return list.find((s) => s.name === 'napper')?.status === 'stopped';
    }, 30_000, 'the session stopped');
    await eventually(async () => stopping.audit().some((e) => e.event === 'session.reaped' && e.action === 'stop'), 10_000, 'audited');
    const again = await stopping.ssh(bob, 'bob', ['napper', 'echo back-$((2*21))']);
    assert.is(again.code, 0, again.stderr);
    assert.is(again.stdout, 'back-42\n');
    assert.match(again.stderr, 'starting it');
  } finally {
    await stopping.stop();
  }
});

test.run();
