import { execFileSync, spawnSync } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { GatewayHarness, type SshUser } from '../helpers/gateway-harness.js';
import { eventually, run } from '../helpers/run.js';

/** Sessions over time: auto-start, resize, clean-up after a client vanishes, server restarts. */
const test = suite('ssh lifecycle');
const gw = new GatewayHarness();
let alice: SshUser;
let sessionId = '';
let tmuxSocket = '';

test.before.each(async () => {
  if (gw.server) return;
  await gw.start();
  alice = await gw.user('alice');
  const r = await gw.ssh(alice, 'alice', ['new', '--name', 'life']);
  assert.is(r.code, 0, r.stderr);
  sessionId = r.stdout.trim();
  tmuxSocket = `${gw.dir.path}/tmux.sock`;
});
test.after(async () => {
  if (tmuxSocket) spawnSync('tmux', ['-S', tmuxSocket, 'kill-server']);
  await gw.stop();
});

function container(): string {
  return `mai-${sessionId}`;
}

/** Processes in the session container whose command line contains `needle` (read from /proc by the engine). */
function processesMatching(needle: string): string[] {
  const out = execFileSync('docker', ['exec', container(), 'sh', '-c', 'for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline 2>/dev/null; echo; done']);
  return out.toString().split('\n').filter((line) => line.includes(needle));
}

test('a stopped session is started on connect, with progress on stderr', async () => {
  execFileSync('docker', ['stop', '-t', '1', container()]);
  const r = await gw.ssh(alice, 'alice', ['life', 'echo', 'up']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'up\n');
  assert.match(r.stderr, 'starting');
});

test('a client that vanishes takes its processes with it (no TTY)', async () => {
  const ssh = gw.spawnSsh(alice, 'alice', ['life', 'sleep 4242 & sleep 4343; echo never']);
  await eventually(async () => processesMatching('sleep 4343').length > 0, 15_000, 'the remote sleep to start');
  ssh.kill('SIGKILL');
  await eventually(async () => processesMatching('sleep 4').length === 0, 15_000, 'the remote processes to be killed');
});

test('a client that vanishes takes its processes with it (TTY)', async () => {
  const ssh = gw.spawnSsh(alice, 'alice', ['life', 'sleep 5151'], ['-tt']);
  await eventually(async () => processesMatching('sleep 5151').length > 0, 15_000, 'the remote sleep to start');
  ssh.kill('SIGKILL');
  await eventually(async () => processesMatching('sleep 5151').length === 0, 15_000, 'the remote process to be killed');
});

test('an interactive terminal follows the client window size (pty-req, window-change)', async () => {
  const tmux = (...args: string[]) => execFileSync('tmux', ['-S', tmuxSocket, ...args]).toString();
  const ssh = ['ssh', ...gw.sshOptions(alice), '-t', 'alice@127.0.0.1', 'life'].join(' ');
  tmux('new-session', '-d', '-x', '100', '-y', '30', ssh);
  const screen = () => tmux('capture-pane', '-p');
  await eventually(async () => /\$\s*$/m.test(screen()), 20_000, 'a shell prompt');
  tmux('send-keys', 'echo "size=$(stty size)"', 'Enter');
  await eventually(async () => screen().includes('size=30 100'), 10_000, 'stty size 30 100');
  tmux('resize-window', '-x', '120', '-y', '40');
  // Typed again until the resize has gone through (SIGWINCH to ssh, window-change, exec resize).
  await eventually(async () => {
    tmux('send-keys', 'echo "size=$(stty size)"', 'Enter');
    await new Promise((r) => setTimeout(r, 300));
    return screen().includes('size=40 120');
  }, 15_000, 'stty size 40 120');
  tmux('send-keys', 'exit 3', 'Enter');
});

test('the server restarts; sessions survive and stay reachable with the same host key', async () => {
  await gw.restart();
  const r = await gw.ssh(alice, 'alice', ['life', 'echo', '$MAI_SESSION_ID']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), sessionId);
});

test('mai stop in an attached shell: the client hears the session ended and exits 0; the session is closed', async () => {
  // -tt with piped input: a terminal attach whose shell reads "mai stop" as typed.
  const r = await gw.ssh(alice, 'alice', ['life'], { extra: ['-tt'], input: 'mai stop\n', timeoutMs: 60_000 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, `session ${sessionId} ended`);
  assert.not.match(r.stdout + r.stderr, '137');
  // Closed there and then: the container is gone, later routes say no such session.
  await eventually(async () => (await run('docker', ['inspect', container()])).code !== 0, 10_000, 'the container removed');
  const after = await gw.ssh(alice, 'alice', ['life', 'true']);
  assert.match(after.stderr, 'no such session');
});

test.run();
