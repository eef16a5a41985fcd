/**
 * The SSH gateway against clients and agents that misbehave: a forced command that
 * sftp would get around, connections that never authenticate, endless `none`
 * attempts, an agent that jams the kill helper, secrets in bad input, a huge log.
 * Real OpenSSH (and ssh2's client where OpenSSH cannot misbehave on purpose).
 */
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import ssh2 from 'ssh2';
import { USER_CA_FILE } from '../../gateway/server-keys.js';
import { GatewayHarness, type SshUser } from '../helpers/gateway-harness.js';
import { eventually, run } from '../helpers/run.js';

const test = suite('ssh hardening');
const gw = new GatewayHarness({ ssh: { loginGraceSeconds: 2, maxStartups: { total: 100, perAddress: 3 }, maxAuthTries: 4 } });
let alice: SshUser;
let sessionId = '';

test.before.each(async () => {
  if (gw.server) return;
  await gw.start();
  alice = await gw.user('alice');
  const made = await gw.ssh(alice, 'alice', ['new', '--name', 'hard']);
  assert.is(made.code, 0, made.stderr);
  sessionId = made.stdout.trim();
});
test.after(() => gw.stop());

/** A raw TCP connection to the gateway and what it has said so far. */
function rawConnection(): Promise<{ socket: Socket; said: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    let said = '';
    const socket = connect(gw.server.sshPort, '127.0.0.1', () => resolve({ socket, said: () => said, closed }));
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
    socket.on('data', (d: Buffer) => (said += d.toString('latin1')));
    socket.on('error', reject);
  });
}

test('a forced command cannot be got around with sftp: the subsystem is refused', async () => {
  const key = join(gw.dir.path, 'forced');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const signed = await run('ssh-keygen', ['-q', '-s', join(gw.dataDir, USER_CA_FILE), '-I', 'forced', '-n', 'alice', '-V', '-5m:+1h', '-O', 'force-command=echo forced', `${key}.pub`]);
  assert.is(signed.code, 0, signed.stderr);
  const forced: SshUser = { name: 'alice', key, cert: `${key}-cert.pub` };
  const sftp = await run('sftp', [...gw.fileClientOptions(forced), '-b', '-', `alice+${sessionId}@127.0.0.1`], { input: 'ls /\n' });
  assert.is.not(sftp.code, 0);
  assert.not.match(sftp.stdout, 'home');
  await eventually(async () => gw.audit().some((e) => e.event === 'channel.refused' && e.reason === 'FORCE_COMMAND'), 5_000, 'the refusal audited');
  // The forced command itself runs, whatever the client asked for.
  const exec = await gw.ssh(forced, `alice+${sessionId}`, ['cat', '/etc/passwd']);
  assert.is(exec.stdout.trim(), 'forced');
});

test('a connection that does not authenticate is closed after the login grace time', async () => {
  const { said, closed } = await rawConnection();
  await eventually(async () => said().startsWith('SSH-2.0-'), 5_000, 'the server version line');
  // Says nothing more: the grace time (2 s here) ends it.
  await closed;
  await eventually(async () => gw.audit().some((e) => e.event === 'connection.refused' && e.reason === 'AUTH_GRACE_EXPIRED'), 5_000, 'the refusal audited');
});

test('unauthenticated connections from one address are bounded; the next is closed before any SSH', async () => {
  const held = await Promise.all([1, 2, 3].map(() => rawConnection()));
  await eventually(async () => held.every((c) => c.said().startsWith('SSH-2.0-')), 5_000, 'three version lines');
  const fourth = await rawConnection();
  await fourth.closed;
  assert.is(fourth.said(), '', 'not a byte of SSH for the one over the limit');
  await eventually(async () => gw.audit().some((e) => e.event === 'connection.refused' && e.reason === 'TOO_MANY_UNAUTHENTICATED'), 5_000, 'the refusal audited');
  for (const c of held) c.socket.destroy();
  // Authenticated users are not held up by them once they are gone.
  await eventually(async () => (await gw.ssh(alice, 'alice', ['hard', 'true'])).code === 0, 10_000, 'a normal login');
});

test('`none` attempts count toward the try limit: a client cannot probe for ever', async () => {
  let attempts = 0;
  const client = new ssh2.Client();
  const ended = new Promise<void>((resolve) => client.on('close', () => resolve()).on('error', () => resolve()));
  client.connect({
    host: '127.0.0.1',
    port: gw.server.sshPort,
    username: 'alice',
    // Always `none`, never giving up by itself (ssh2 stops only when told false).
    authHandler: (_methods: unknown, _partial: unknown, next: (method: unknown) => void) => {
      attempts++;
      if (attempts > 50) return next(false as never);
      next({ type: 'none', username: 'alice' } as never);
    },
  } as never);
  await ended;
  // maxAuthTries (4), the one refused over the limit, and at most one the client sent before the hang-up reached it.
  assert.ok(attempts <= 6, `${attempts} attempts before the server hung up (maxAuthTries 4)`);
});

test('an agent that swaps its pid file for a FIFO cannot jam the kill helper', async () => {
  // The command finds its own pid file (mai-exec wrote $$ into it), replaces it with a FIFO, and stays.
  const jam = 'f=$(grep -lx $$ /run/mai/exec/*.pid) && rm -f "$f" && mkfifo "$f" && echo jammed && exec sleep 300';
  const child = gw.spawnSsh(alice, 'alice', ['hard', jam]);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await eventually(async () => out.includes('jammed'), 15_000, 'the jam in place');
  child.kill('SIGKILL'); // the client goes: the gateway runs mai-kill for that command
  // mai-kill refuses the FIFO at once instead of blocking on it for ever.
  await eventually(async () => gw.audit().some((e) => e.event === 'process.kill_failed'), 20_000, 'the kill attempt to end');
  const helpers = await gw.ssh(alice, 'alice', ['hard', 'pgrep -c -f "^/bin/bash /usr/local/bin/mai-kill" || true']);
  assert.is(helpers.stdout.trim(), '0');
});

test('a malformed -e names the key, never the value', async () => {
  const r = await gw.ssh(alice, 'alice', ['new', '-e', '1BAD=hunter2-secret-value']);
  assert.is(r.code, 1);
  assert.match(r.stderr, '"1BAD"');
  assert.not.match(r.stderr, 'hunter2');
  assert.not.match(JSON.stringify(gw.audit()), 'hunter2');
});

test('logs: the last 10,000 lines by default, --tail N or all on request, streamed', async () => {
  const lines = 12_000;
  assert.is((await gw.ssh(alice, 'alice', ['hard', `seq 1 ${lines} | sed 's/^/line /' > /proc/1/fd/1`])).code, 0);
  const count = (text: string) => text.split('\n').filter((l) => /^line \d+$/.test(l)).length;
  // The engine logs what the container wrote a moment later: wait for the last line.
  const byDefault = await eventually(async () => {
    const r = await gw.ssh(alice, 'alice', ['logs', 'hard']);
    return r.stdout.includes(`line ${lines}\n`) ? r : undefined;
  }, 10_000, 'the last line in the log');
  assert.is(count(byDefault.stdout), 10_000);
  assert.is(count((await gw.ssh(alice, 'alice', ['logs', 'hard', '--tail', '5'])).stdout), 5);
  assert.is(count((await gw.ssh(alice, 'alice', ['logs', 'hard', '--tail', 'all'])).stdout), lines);
  assert.match((await gw.ssh(alice, 'alice', ['logs', 'hard', '--tail', 'lots'])).stderr, 'expected a number of lines');
});

test.run();
