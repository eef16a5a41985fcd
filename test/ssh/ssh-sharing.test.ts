/**
 * Shared terminals through the gateway, with the real OpenSSH client: two `ssh -t`
 * attaches join one tmux session and see each other's typing; `watch` sees and cannot
 * type; an admin may join anyone's session (audited), and those attached get a notice
 * naming who joined. Every attach is recorded (asciicast v2, with a notice), readable
 * over REST by the owner and admins only.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { docker } from '../docker/docker-fixtures.js';
import { GatewayHarness, ownBaseDriver, sharedToolDriver, type SshUser } from '../helpers/gateway-harness.js';
import { eventually } from '../helpers/run.js';
import { TerminalClient } from '../helpers/terminal-client.js';
import { tempDir } from '../helpers/tmp.js';

const test = suite('ssh shared terminals');
const TOKENS = { alice: 'alice-token-0123456789', carol: 'carol-token-0123456789', root: 'root-token-01234567890' };
const drivers = tempDir('mai-shared-driver-');
// The shared terminal is the tmux session of a driver's tool (the base driver, without one, gives each terminal its own shell).
const gw = new GatewayHarness({
  drivers: [ownBaseDriver(), sharedToolDriver(drivers.path)],
  auth: {
    users: [
      { name: 'alice', token: TOKENS.alice },
      { name: 'carol', token: TOKENS.carol },
      { name: 'root', token: TOKENS.root, admin: true },
    ],
  },
});
let alice: SshUser;
let root: SshUser;
let sessionId = '';
let firstCast = '';
const casts = tempDir('mai-casts-');
const clients: TerminalClient[] = [];

const ready = (async () => {
  await gw.start();
  alice = await gw.user('alice');
  root = await gw.user('root');
  const made = await gw.ssh(alice, 'alice', ['new', '--driver', 'shared-tool', '--name', 'shared']);
  assert.is(made.code, 0, made.stderr);
  sessionId = made.stdout.trim();
})();

test.before(async () => {
  await ready;
});
test.after(async () => {
  for (const client of clients) await client.close();
  await gw.stop();
  drivers.remove();
  casts.remove();
});

function terminal(user: SshUser, command: string[]): TerminalClient {
  const client = new TerminalClient(gw.spawnSsh(user, user.name, command, ['-tt']));
  clients.push(client);
  return client;
}

/** What tmux shows in the session's pane right now (the ground truth of what was typed). */
async function pane(): Promise<string> {
  return (await docker(['exec', `mai-${sessionId}`, 'tmux', 'capture-pane', '-p', '-t', 'mai:tool'])).stdout;
}

async function api(token: string, path: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${gw.server.httpPort}${path}`, { headers: { authorization: `Bearer ${token}` } });
}

let first: TerminalClient;
let second: TerminalClient;

test('two attaches join one terminal and see each other\'s typing; the first hears who joined', async () => {
  first = terminal(alice, ['shared']);
  await first.waitFor('this terminal is recorded');
  first.type('echo ready-$((40+2))\r');
  await first.waitFor('ready-42');
  second = terminal(alice, ['shared']);
  await first.waitFor('alice joined this terminal');
  const mark = second.output.length;
  first.type('echo from-first-$((6*7))\r');
  await second.waitFor('from-first-42', 30_000, mark);
  second.type('echo from-second-$((7*7))\r');
  await first.waitFor('from-second-49');
});

test('watch sees the terminal and cannot type in it; the others hear who is watching', async () => {
  const watcher = terminal(alice, ['watch', 'shared']);
  await first.waitFor('alice is watching this terminal (read-only)');
  await eventually(async () => (await docker(['exec', `mai-${sessionId}`, 'tmux', 'list-clients', '-t', 'mai'])).stdout.split('\n').filter(Boolean).length === 3, 15_000, 'three clients');
  watcher.type('echo from-watcher-$((8*8))\r');
  await new Promise((r) => setTimeout(r, 1000));
  const mark = watcher.output.length;
  first.type('echo after-watcher-$((9*9))\r');
  await watcher.waitFor('after-watcher-81', 30_000, mark);
  await first.waitFor('after-watcher-81');
  const screen = await pane();
  assert.match(screen, 'after-watcher-81');
  assert.not.match(screen, 'from-watcher', 'the watcher\'s keys reached nothing');
  assert.not.match(first.output, 'from-watcher-64');
});

test('watch without a terminal, or of a session without a shared one (the base driver: a shell per terminal), says why', async () => {
  const piped = await gw.ssh(alice, 'alice', ['watch', 'shared']);
  assert.is(piped.code, 1);
  assert.match(piped.stderr, 'watch needs a terminal');
  const other = await gw.ssh(alice, 'alice', ['new', '--name', 'plain']);
  assert.is(other.code, 0, other.stderr);
  const shell = await gw.ssh(alice, 'alice', ['plain'], { extra: ['-tt'], input: 'echo own-$((2*3)); exit\n' });
  assert.match(shell.stdout, 'own-6');
  const nothing = await gw.ssh(alice, 'alice', ['watch', 'plain'], { extra: ['-tt'] });
  assert.is(nothing.code, 1);
  assert.match(nothing.stdout + nothing.stderr, 'nothing to watch');
});

test('an admin joins anyone\'s session: audited, and the owner\'s terminal says so', async () => {
  const admin = terminal(root, [sessionId]);
  await first.waitFor('root joined this terminal');
  const mark = admin.output.length;
  first.type('echo for-the-admin-$((5*5))\r');
  await admin.waitFor('for-the-admin-25', 30_000, mark);
  await eventually(
    async () => gw.audit().some((e) => e.event === 'session.attached' && e.by === 'root' && e.owner === 'alice' && e.session === sessionId),
    10_000,
    'the join audited',
  );
  // Not for every user: carol reaches neither the session nor its terminal.
  const carol = await gw.user('carol');
  const refused = await gw.ssh(carol, 'carol', [sessionId], { extra: ['-tt'] });
  assert.match(refused.stderr, 'no such session');
});

test('recordings: one per attach, asciicast v2 with the typed command\'s output; owner and admins only', async () => {
  for (const client of clients.splice(0)) await client.close();
  const list = await api(TOKENS.alice, '/sessions/shared/recordings');
  assert.is(list.status, 200);
  const body = (await list.json()) as { sessionId: string; recordings: Array<{ n: number; user: string; bytes: number }> };
  assert.is(body.sessionId, sessionId);
  assert.equal(body.recordings.map((r) => r.user), ['alice', 'alice', 'alice', 'root']);
  const cast = await eventually(async () => {
    const r = await api(TOKENS.alice, '/sessions/shared/recordings/1');
    const text = await r.text();
    return r.status === 200 && text.includes('from-second-49') ? { type: r.headers.get('content-type'), text } : null;
  }, 10_000, 'the first recording complete');
  assert.is(cast.type, 'application/x-asciicast');
  const [head, ...events] = cast.text.trimEnd().split('\n').map((line) => JSON.parse(line) as unknown);
  assert.equal(Object.keys(head as object).sort(), ['env', 'height', 'timestamp', 'title', 'version', 'width']);
  assert.is((head as { version: number }).version, 2);
  const output = (events as [number, string, string][]).filter((e) => e[1] === 'o').map((e) => e[2]).join('');
  assert.match(output, 'from-first-42');
  assert.match(output, 'from-second-49', "the other attach's typing is in this terminal's recording too");
  assert.ok((events as unknown[][]).every((e) => e[1] !== 'i'), 'no keystrokes recorded by default');
  firstCast = cast.text;
  assert.is((await api(TOKENS.root, `/sessions/${sessionId}/recordings/4`)).status, 200);
  for (const path of ['/sessions/shared/recordings', `/sessions/${sessionId}/recordings`, `/sessions/${sessionId}/recordings/1`]) {
    const other = await api(TOKENS.carol, path);
    assert.is(other.status, 404, path);
  }
  assert.is((await api(TOKENS.alice, '/sessions/shared/recordings/99')).status, 404);
});

// The player users have (it needs a terminal: `script` gives it one); -i caps the pauses, so it plays at once.
const asciinema = spawnSync('asciinema', ['--version']).status === 0;
(asciinema ? test : test.skip)('a recording plays in asciinema play, the typed command\'s output on screen', () => {
  const file = join(casts.path, 'first.cast');
  writeFileSync(file, firstCast);
  const played = spawnSync('script', ['-qec', `asciinema play -i 0.05 ${file}`, '/dev/null'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.is(played.status, 0, played.stderr);
  assert.match(played.stdout, 'from-first-42');
  assert.not.match(played.stdout, 'Traceback');
});

test('a closed session\'s recordings stay with its owner (by id) until their retention ends', async () => {
  assert.is((await gw.ssh(alice, 'alice', ['close', sessionId])).code, 0);
  const list = await api(TOKENS.alice, `/sessions/${sessionId}/recordings`);
  assert.is(list.status, 200);
  assert.is(((await list.json()) as { recordings: unknown[] }).recordings.length, 4);
  assert.is((await api(TOKENS.root, `/sessions/${sessionId}/recordings/2`)).status, 200);
  assert.is((await api(TOKENS.carol, `/sessions/${sessionId}/recordings`)).status, 404);
  assert.is((await api(TOKENS.alice, '/sessions/shared/recordings')).status, 404, 'the name went with the session');
});

test.run();
