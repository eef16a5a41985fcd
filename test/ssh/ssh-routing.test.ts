import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { GatewayHarness, type SshUser } from '../helpers/gateway-harness.js';
import { eventually } from '../helpers/run.js';

/** The routing grammar, driven by the real OpenSSH client against real containers. */
const test = suite('ssh routing');
const gw = new GatewayHarness({ ssh: { publicHost: 'gw.example.test' } });
/** A value handed to the gateway (`new -e`) that no audit line may ever show. */
const SECRET_VALUE = `s3cret-${process.pid}-value`;
let alice: SshUser;
let bob: SshUser;
let sessionId = '';

test.before.each(async () => {
  if (!gw.server) {
    await gw.start();
    alice = await gw.user('alice');
    bob = await gw.user('bob');
  }
  // Every test finds alice's session "work" (made through the gateway), so each can run alone.
  if (!sessionId) {
    const r = await gw.ssh(alice, 'alice', ['new', '--name', 'work', '-e', 'FOO=bar', '-e', `API_TOKEN=${SECRET_VALUE}`]);
    assert.is(r.code, 0, r.stderr);
    sessionId = r.stdout.split('\n')[0]!.trim();
  }
});
test.after(() => gw.stop());

test('no command: the user list and usage, exit 0', async () => {
  const r = await gw.ssh(alice, 'alice', []);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'ID');
  // The configured public host name (ssh.publicHost), not a placeholder.
  assert.match(r.stdout, 'ssh alice@gw.example.test SESSION CMD');
  assert.not.match(r.stdout, 'mai-host');
});

test('new: prints the new id first, with -e reaching the container', async () => {
  // `new` ran in the hook above: its first line was the id.
  assert.match(sessionId, /^[a-z2-9]{10}$/);
  const env = await gw.ssh(alice, 'alice', [sessionId, 'echo', '$FOO', '$API_TOKEN']);
  assert.is(env.stdout, `bar ${SECRET_VALUE}\n`);
});

test('SESSION CMD: stdout and stderr separate, exit code returned', async () => {
  const r = await gw.ssh(alice, 'alice', ['work', 'echo out; echo err >&2; exit 7']);
  assert.is(r.code, 7);
  assert.is(r.stdout, 'out\n');
  assert.is(r.stderr, 'err\n');
});

test('quoting survives: the command string reaches bash as typed', async () => {
  const r = await gw.ssh(alice, 'alice', ['work', `printf '%s|' "a b" 'c"d'`]);
  assert.is(r.stdout, 'a b|c"d|');
});

test('stdin reaches the command and its EOF ends it (no TTY)', async () => {
  const input = 'x'.repeat(300_000);
  const r = await gw.ssh(alice, 'alice', ['work', 'wc', '-c'], { input });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), '300000');
});

test('alice+SESSION login routes a plain command and a shell', async () => {
  const r = await gw.ssh(alice, `alice+${sessionId}`, ['echo', '$MAI_SESSION_ID']);
  assert.is(r.stdout.trim(), sessionId);
  const shell = await gw.ssh(alice, 'alice+work', [], { input: 'echo from-shell; exit 4\n' });
  assert.is(shell.code, 4);
  assert.match(shell.stdout, 'from-shell');
});

test('SESSION alone without -t: a shell reading stdin', async () => {
  const r = await gw.ssh(alice, 'alice', ['work'], { input: 'echo $((6*7))\n' });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, '42');
});

test('-t gives a TTY with the client terminal type', async () => {
  const r = await gw.ssh(alice, 'alice', ['work', 'tty; echo $TERM'], { extra: ['-tt', '-o', 'SetEnv=TERM=vt220'] });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /\/dev\/pts\/\d+\r\n/);
  const plain = await gw.ssh(alice, 'alice', ['work', 'tty']);
  assert.match(plain.stdout, 'not a tty');
});

test('ls and ls --json list only the caller\'s sessions', async () => {
  const text = await gw.ssh(alice, 'alice', ['ls']);
  assert.match(text.stdout, sessionId);
  const json = JSON.parse((await gw.ssh(alice, 'alice', ['ls', '--json'])).stdout) as Array<{ id: string; name: string; status: string }>;
  assert.equal(json.map((s) => [s.id, s.name, s.status]), [[sessionId, 'work', 'running']]);
  const bobs = JSON.parse((await gw.ssh(bob, 'bob', ['ls', '--json'])).stdout) as unknown[];
  assert.equal(bobs, []);
});

test('env requests: allow-listed variables pass, others are dropped', async () => {
  const r = await gw.ssh(alice, 'alice', ['work', 'echo "$LC_TEST|$SECRET_THING"'], {
    extra: ['-o', 'SetEnv=LC_TEST=yes SECRET_THING=leak'],
  });
  assert.is(r.stdout, 'yes|\n');
});

test('cross-user: every route to another user\'s session is "no such session"', async () => {
  const attempts = [
    await gw.ssh(bob, 'bob', [sessionId, 'true']),
    await gw.ssh(bob, 'bob', ['work', 'true']),
    await gw.ssh(bob, `bob+${sessionId}`, ['true']),
    await gw.ssh(bob, 'bob', ['close', sessionId]),
    await gw.ssh(bob, 'bob', ['logs', sessionId]),
  ];
  for (const r of attempts) {
    assert.is(r.code, 1);
    assert.match(r.stderr, `no such session`);
  }
  // Logging in as alice with bob's certificate is refused outright.
  const impostor = await gw.ssh(bob, 'alice', ['ls']);
  assert.is(impostor.code, 255);
  assert.match(impostor.stderr, 'Permission denied');
  assert.is((await gw.ssh(alice, 'alice', [sessionId, 'true'])).code, 0);
});

test('a bad new option is one line and exit 1; nothing is created', async () => {
  const r = await gw.ssh(alice, 'alice', ['new', '--bogus']);
  assert.is(r.code, 1);
  assert.is(r.stderr.trim().split('\n').length, 1);
  const unknown = await gw.ssh(alice, 'alice', ['new', '--driver', 'nope']);
  assert.match(unknown.stderr, 'unknown driver');
  for (const [flags, says] of [[['--mcp', 'nosuch'], 'unknown MCP server "nosuch"'], [['--model', 'nosuch/x'], 'unknown model provider "nosuch"'], [['--egress=allow:'], 'needs at least one host']] as const) {
    const refused = await gw.ssh(alice, 'alice', ['new', ...flags]);
    assert.equal([refused.code, refused.stderr.trim().split('\n').length], [1, 1], refused.stderr);
    assert.match(refused.stderr, says);
  }
  const json = JSON.parse((await gw.ssh(alice, 'alice', ['ls', '--json'])).stdout) as unknown[];
  assert.is(json.length, 1);
});

test('logs shows the container output', async () => {
  const marker = `logged-${process.pid}`;
  assert.is((await gw.ssh(alice, 'alice', ['work', `echo ${marker} > /proc/1/fd/1`])).code, 0);
  const r = await gw.ssh(alice, 'alice', ['logs', 'work']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, marker);
});

/** Unix-socket handles this process holds: the in-process gateway's streams from the Docker engine among them. */
const engineStreams = () => process.getActiveResourcesInfo().filter((r) => r === 'PipeWrap').length;

test('logs -f streams new output until the client leaves; then the engine stream is let go', async () => {
  const before = engineStreams();
  const follow = gw.spawnSsh(alice, 'alice', ['logs', '-f', 'work']);
  let seen = '';
  follow.stdout!.on('data', (c: Buffer) => (seen += c.toString()));
  try {
    await eventually(async () => {
      await gw.ssh(alice, 'alice', ['work', 'echo follow-marker > /proc/1/fd/1']);
      return seen.includes('follow-marker');
    }, 15_000, 'the marker in the followed logs');
    assert.ok(engineStreams() > before, 'the follow holds a stream from the engine');
  } finally {
    follow.kill();
  }
  // The client is gone: the gateway must not keep reading the container's log for nobody.
  await eventually(async () => engineStreams() <= before, 10_000, 'the engine log stream to be closed');
});

test('logs -f ends, exit 0, when the session it follows is closed', async () => {
  const made = await gw.ssh(alice, 'alice', ['new', '--name', 'followed']);
  const id = made.stdout.trim();
  const follow = gw.spawnSsh(alice, 'alice', ['logs', '-f', id]);
  const exited = new Promise<number | null>((resolve) => follow.on('exit', (code) => resolve(code)));
  await new Promise((r) => setTimeout(r, 500));
  assert.is((await gw.ssh(alice, 'alice', ['close', id])).code, 0);
  assert.is(await exited, 0);
});

test('new with a pty attaches to the new session', async () => {
  const r = await gw.ssh(alice, 'alice', ['new', '--name', 'attached'], { extra: ['-tt'], input: 'echo "inside $MAI_SESSION_NAME"; exit 3\n' });
  assert.is(r.code, 3, r.stderr);
  const [id] = r.stdout.split('\r\n');
  assert.match(id!, /^[a-z2-9]{10}$/);
  assert.match(r.stdout, 'inside attached');
  assert.is((await gw.ssh(alice, 'alice', ['close', 'attached'])).code, 0);
});

test('close removes the session; later routes say no such session', async () => {
  const r = await gw.ssh(alice, 'alice', ['close', 'work']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), sessionId);
  const gone = await gw.ssh(alice, 'alice', [sessionId, 'true']);
  assert.match(gone.stderr, 'no such session');
  sessionId = '';
});

test('the audit log has one JSON line per event, with connection ids and no secrets', async () => {
  // Its own session, made and closed here, with a secret value the gateway must carry but never write down.
  const made = await gw.ssh(alice, 'alice', ['new', '--name', 'audited', '-e', `API_TOKEN=${SECRET_VALUE}`]);
  assert.is(made.code, 0, made.stderr);
  const id = made.stdout.trim();
  // (Commands are audited as typed, so the check names only the value's length.)
  assert.is((await gw.ssh(alice, 'alice', [id, `test "\${#API_TOKEN}" = ${SECRET_VALUE.length}`])).code, 0);
  assert.is((await gw.ssh(bob, 'alice', ['ls'])).code, 255); // a refusal, audited
  assert.is((await gw.ssh(alice, 'alice', ['close', id])).code, 0);
  const events = await eventually(async () => {
    const all = gw.audit();
    return all.some((e) => e.event === 'session.closed' && e.session === id) ? all : undefined;
  }, 10_000, 'the close in the audit log');
  const kinds = new Set(events.map((e) => e.event));
  for (const kind of ['connect', 'auth.ok', 'auth.refused', 'channel.request', 'channel.command', 'disconnect']) {
    assert.ok(kinds.has(kind), `missing ${kind}`);
  }
  // Connection events carry their connection; the facts they cause name it as `via`.
  const conns = new Set(events.map((e) => e.conn).filter((c) => typeof c === 'string'));
  assert.ok(events.every((e) => typeof e.conn === 'string' || conns.has(String(e.via).replace(/^ssh:/, ''))), 'every line traces to a connection');
  // Each fact audited once: the front end writes no second line of its own.
  assert.is(events.filter((e) => e.event === 'session.created' && e.session === id).length, 1);
  assert.is(events.filter((e) => e.event === 'session.closed' && e.session === id).length, 1);
  assert.not.match(JSON.stringify(events), SECRET_VALUE);
});

test.run();
