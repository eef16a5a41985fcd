import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CliHome, MAI_BIN } from '../helpers/cli.js';
import { run } from '../helpers/run.js';

/** The local-mode CLI, spawned as built, against the real Docker engine. */
const test = suite('mai CLI, local mode');
const home = new CliHome();
let id = '';
/** This home's store labels its containers with it; filtering on it ignores everyone else's. */
let instance = '';

/**
 * Every test finds the session "first" (created through the CLI with FOO=bar) and
 * cleans up whatever else it makes, so each test can run alone, in any order.
 */
test.before.each(async () => {
  if (id) return;
  const r = await home.mai(['session', 'create', '--driver', 'base', '--no-connect', '-e', 'FOO=bar', '--name', 'first']);
  assert.is(r.code, 0, r.stderr);
  id = r.stdout.trim();
  const labels = JSON.parse(await docker('inspect', '-f', '{{json .Config.Labels}}', `mai-${id}`)) as Record<string, string>;
  instance = labels['mai.instance']!;
});

test.after(async () => {
  await home.mai(['session', 'close', '--all']);
  home.remove();
});

async function docker(...args: string[]): Promise<string> {
  const r = await run('docker', args);
  return r.stdout.trim();
}

/** This CLI home's containers. */
function ours(): Promise<string> {
  return docker('ps', '-aq', '--filter', `label=mai.instance=${instance}`);
}

/** One line on stderr, the code in brackets, and the expected exit status. */
function oneLineError(r: { code: number | null; stderr: string; stdout: string }, code: string, exit: number): void {
  assert.is(r.code, exit, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0]!, `[${code}]`);
  assert.not.match(r.stderr, '    at ');
}

test('--help and --version answer without Docker', async () => {
  const help = await home.mai(['--help']);
  assert.is(help.code, 0);
  assert.match(help.stdout, 'mai session create');
  const sessionHelp = await home.mai(['session', 'create', '--help']);
  assert.match(sessionHelp.stdout, '--no-connect');
  const version = await home.mai(['--version']);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('create --no-connect -e FOO=bar prints the id; the container has FOO=bar and mai labels', async () => {
  // "first" was created by the hook above, with exactly this command; its output was the id.
  assert.match(id, /^[a-z2-9]{10}$/);
  const env = await docker('inspect', '-f', '{{json .Config.Env}}', `mai-${id}`);
  assert.ok((JSON.parse(env) as string[]).includes('FOO=bar'));
  const labels = JSON.parse(await docker('inspect', '-f', '{{json .Config.Labels}}', `mai-${id}`)) as Record<string, string>;
  assert.is(labels['mai.session'], id);
  assert.is(labels['mai.driver'], 'base');
  assert.ok(labels['mai.owner']);
  assert.is(labels['mai.instance'], instance);
  assert.ok(instance);
});

test('list --json shows it with id, name, driver, status, createdAt', async () => {
  const r = await home.mai(['session', 'list', '--json']);
  assert.is(r.code, 0, r.stderr);
  const sessions = JSON.parse(r.stdout) as Array<Record<string, string>>;
  assert.is(sessions.length, 1);
  const [s] = sessions;
  assert.equal([s!.id, s!.name, s!.driver, s!.status], [id, 'first', 'base', 'running']);
  assert.ok(!Number.isNaN(Date.parse(s!.createdAt!)));
  const table = await home.mai(['session', 'list']);
  assert.match(table.stdout, /ID\s+NAME\s+DRIVER\s+STATUS\s+CREATED/);
  assert.match(table.stdout, id);
});

test('--run runs a command in a new session and returns its exit code', async () => {
  const r = await home.mai(['session', 'create', '--no-connect', '--run', 'echo "in $MAI_SESSION_NAME"; exit 3', '--name', 'runner']);
  assert.is(r.code, 3, r.stderr);
  const [newId, output] = r.stdout.split('\n');
  assert.match(newId!, /^[a-z2-9]{10}$/);
  assert.is(output, 'in runner');
  assert.is((await home.mai(['session', 'close', 'runner'])).code, 0);
});

test('connect without a terminal: stdin in, output out, exit code back', async () => {
  const r = await home.mai(['session', 'connect', 'first'], { input: 'echo "$FOO from $MAI_SESSION_ID"\nexit 5\n' });
  assert.is(r.code, 5, r.stderr);
  assert.match(r.stdout, `bar from ${id}`);
});

test('connect with a terminal: a TTY of the terminal size', async () => {
  const command = [process.execPath, MAI_BIN, 'session', 'connect', 'first'].join(' ');
  const r = await run('script', ['-qec', `stty cols 91 rows 33; ${command}`, '/dev/null'], {
    env: home.env(),
    input: 'tty; stty size; exit\n',
  });
  assert.is(r.code, 0, r.stdout);
  assert.match(r.stdout, /\/dev\/pts\/\d+/);
  assert.match(r.stdout, '33 91');
});

test('terminal recording: off locally by default; with sessions.recording.enabled, listed and printed as asciicast v2', async () => {
  const none = await home.mai(['session', 'recordings', 'first']);
  assert.is(none.code, 0, none.stderr);
  assert.is(none.stdout, 'N  USER  STARTED  SIZE\n');
  const recorded = new CliHome('docker:\n  network: mai-test\nsessions:\n  recording:\n    enabled: true\n');
  try {
    const made = await recorded.mai(['session', 'create', '--no-connect', '--name', 'taped']);
    assert.is(made.code, 0, made.stderr);
    const command = [process.execPath, MAI_BIN, 'session', 'connect', 'taped'].join(' ');
    const r = await run('script', ['-qec', command, '/dev/null'], { env: recorded.env(), input: 'echo taped-$((6*7))\nexit\n' });
    assert.is(r.code, 0, r.stdout);
    assert.match(r.stdout, 'this terminal is recorded');
    const list = await recorded.mai(['session', 'recordings', 'taped']);
    assert.match(list.stdout, /^N\s+USER\s+STARTED\s+SIZE\n1\s+\S+\s+\d+s ago\s+\d+ KB\n$/);
    const cast = await recorded.mai(['session', 'recordings', 'taped', '1']);
    assert.is(cast.code, 0, cast.stderr);
    const [head, ...events] = cast.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as unknown);
    assert.is((head as { version: number }).version, 2);
    assert.match((events as [number, string, string][]).map((e) => e[2]).join(''), 'taped-42');
    const missing = await recorded.mai(['session', 'recordings', 'taped', '7']);
    assert.is(missing.code, 4, missing.stderr);
    assert.match(missing.stderr, '[RECORDING_NOT_FOUND]');
  } finally {
    await recorded.mai(['session', 'close', '--all']);
    recorded.remove();
  }
});

test('--ttl: the session is closed by the first command after its lifetime', async () => {
  const made = await home.mai(['session', 'create', '--no-connect', '--name', 'brief', '--ttl', '2s']);
  assert.is(made.code, 0, made.stderr);
  const kept = await home.mai(['session', 'create', '--no-connect', '--name', 'kept', '--ttl', '1h']);
  assert.is(kept.code, 0, kept.stderr);
  await new Promise((r) => setTimeout(r, 2500));
  const listed = JSON.parse((await home.mai(['session', 'list', '--json'])).stdout) as Array<{ name: string; expiry: { reason: string; action: string } | null }>;
  assert.not.ok(listed.some((s) => s.name === 'brief'), 'past its lifetime: closed');
  const expiry = listed.find((s) => s.name === 'kept')?.expiry;
  assert.equal([expiry?.reason, expiry?.action], ['lifetime', 'close']);
  assert.match((await home.mai(['session', 'list'])).stdout, /kept\s+base\s+running\s+\d+s ago\s+close in 5\dm/);
  assert.is((await home.mai(['session', 'close', 'kept'])).code, 0);
});

test('mai with no arguments: a session with the default driver, connected', async () => {
  const r = await home.mai([], { input: 'echo "default driver: $MAI_DRIVER"; exit 0\n' });
  assert.is(r.code, 0, r.stderr);
  const [newId, ...rest] = r.stdout.split('\n');
  assert.match(newId!, /^[a-z2-9]{10}$/);
  assert.match(rest.join('\n'), 'default driver: base');
  assert.is((await home.mai(['session', 'close', newId!])).code, 0);
});

test('logs shows the session output', async () => {
  // A line written to the container's own output (its PID 1's stdout), as a tool's log would be.
  const marker = `log-line-${process.pid}`;
  assert.is((await home.mai(['session', 'connect', 'first'], { input: `echo ${marker} > /proc/1/fd/1\nexit\n` })).code, 0);
  const r = await home.mai(['session', 'logs', 'first']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, marker);
});

test('a name already taken: one line, exit 5, nothing created', async () => {
  const before = await ours();
  const r = await home.mai(['session', 'create', '--no-connect', '--name', 'first']);
  oneLineError(r, 'SESSION_NAME_TAKEN', 5);
  assert.is(await ours(), before);
});

test('bad input: each a clear line and a non-zero exit, nothing left behind', async () => {
  const before = await ours();
  oneLineError(await home.mai(['session', 'create', '--no-connect', '--driver', 'nope']), 'DRIVER_NOT_FOUND', 4);
  oneLineError(await home.mai(['session', 'create', '--no-connect', '-e', 'NOEQUALS']), 'INPUT_INVALID', 2);
  oneLineError(await home.mai(['session', 'create', '--no-connect', '-v', 'rel/path:/x']), 'INPUT_INVALID', 2);
  oneLineError(await home.mai(['session', 'create', '--no-connect', '--port', '99999']), 'INPUT_INVALID', 2);
  oneLineError(await home.mai(['session', 'create', '--no-connect', '--name', 'bad name']), 'INPUT_INVALID', 2);
  oneLineError(await home.mai(['session', 'create', '--no-connect', '--memory', 'lots']), 'INPUT_INVALID', 2);
  oneLineError(await home.mai(['session', 'connect', 'nosuch']), 'SESSION_NOT_FOUND', 4);
  oneLineError(await home.mai(['session', 'frobnicate']), 'INPUT_INVALID', 2);
  oneLineError(await home.mai(['frobnicate']), 'INPUT_INVALID', 2);
  // Flags are named as typed, never as cac's camelCased keys.
  const unknownFlag = await home.mai(['session', 'create', '--no-such-flag']);
  oneLineError(unknownFlag, 'INPUT_INVALID', 2);
  assert.match(unknownFlag.stderr, '--no-such-flag');
  assert.is(await ours(), before);
  const list = JSON.parse((await home.mai(['session', 'list', '--json'])).stdout) as unknown[];
  assert.is(list.length, 1);
});

test('an invalid config file names the file and the field', async () => {
  const broken = new CliHome('docker:\n  socket: [oops\n');
  try {
    const r = await broken.mai(['session', 'list']);
    oneLineError(r, 'CONFIG_INVALID', 78);
    assert.match(r.stderr, 'config.yaml');
    broken.writeConfig('docker:\n  sockt: /x\n');
    const typo = await broken.mai(['session', 'list']);
    oneLineError(typo, 'CONFIG_INVALID', 78);
    assert.match(typo.stderr, 'docker: ');
  } finally {
    broken.remove();
  }
});

test('Docker not running: one line, exit 69, no row written', async () => {
  const noDocker = new CliHome('docker:\n  socket: /nonexistent/docker.sock\n');
  try {
    const r = await noDocker.mai(['session', 'create', '--no-connect']);
    oneLineError(r, 'DOCKER_UNAVAILABLE', 69);
    assert.match(r.stderr, 'Docker');
    // The shorthands too: plain `mai`, and `mai GIT_URL`.
    oneLineError(await noDocker.mai([]), 'DOCKER_UNAVAILABLE', 69);
    oneLineError(await noDocker.mai(['git@github.com:hello/world.git']), 'DOCKER_UNAVAILABLE', 69);
    noDocker.writeConfig('docker:\n  network: mai-test\n');
    const list = JSON.parse((await noDocker.mai(['session', 'list', '--json'])).stdout) as unknown[];
    assert.equal(list, []);
  } finally {
    noDocker.remove();
  }
});

test('mai stop on the host says where it works', async () => {
  oneLineError(await home.mai(['stop']), 'NOT_INSIDE_SESSION', 2);
});

test('mai stop inside a session ends it: the next command finds it closed', async () => {
  const r = await home.mai(['session', 'create', '--no-connect', '--name', 'stopper', '--run', 'mai stop; sleep 5']);
  const stopperId = r.stdout.split('\n')[0]!;
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, `session ${stopperId} ended`);
  const list = JSON.parse((await home.mai(['session', 'list', '--json'])).stdout) as Array<{ id: string }>;
  assert.not.ok(list.some((s) => s.id === stopperId));
  assert.is(await docker('ps', '-aq', '--filter', `label=mai.session=${stopperId}`), '');
});

test('mai stop in a connected shell: the CLI says the session ended and exits 0', async () => {
  const created = await home.mai(['session', 'create', '--no-connect', '--name', 'stop-attached']);
  const stopId = created.stdout.trim();
  const r = await home.mai(['session', 'connect', 'stop-attached'], { input: 'mai stop\nsleep 10\n' });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, `session ${stopId} ended`);
  assert.not.match(r.stderr, '137');
  assert.is(await docker('ps', '-aq', '--filter', `label=mai.session=${stopId}`), '');
});

test('global flags work after the command word too; --data-dir picks the store', async () => {
  const other = new CliHome();
  try {
    // This home's session list is empty in another data dir, whichever side of the word the flag is on.
    assert.equal(JSON.parse((await home.mai(['session', 'list', '--json', '--data-dir', other.dataDir])).stdout), []);
    assert.equal(JSON.parse((await home.mai(['--data-dir', other.dataDir, 'session', 'list', '--json'])).stdout), []);
    assert.ok((JSON.parse((await home.mai(['session', 'list', '--json'])).stdout) as unknown[]).length > 0);
  } finally {
    other.remove();
  }
});

test('remote shorthands without a login: one line and the exit of the reason', async () => {
  const remote = new CliHome();
  try {
    oneLineError(await remote.mai(['-r', 'nope']), 'REMOTE_UNKNOWN', 3);
    assert.is((await remote.mai(['remote', 'add', 't', 'http://127.0.0.1:9'])).code, 0);
    oneLineError(await remote.mai(['-r', 't']), 'AUTH_REQUIRED', 77);
    oneLineError(await remote.mai(['-r', 't', 'git@github.com:hello/world.git']), 'AUTH_REQUIRED', 77);
    oneLineError(await remote.mai(['git@github.com:hello/world.git', '-r', 't']), 'AUTH_REQUIRED', 77);
  } finally {
    remote.remove();
  }
});

test('close leaves no container or volume behind', async () => {
  const volumesBefore = await docker('volume', 'ls', '-q');
  const r = await home.mai(['session', 'close', 'first']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), id);
  assert.is(await docker('ps', '-aq', '--filter', `label=mai.session=${id}`), '');
  assert.is(await docker('volume', 'ls', '-q', '--filter', `label=mai.session=${id}`), '');
  assert.ok((await docker('volume', 'ls', '-q')).length <= volumesBefore.length);
  const list = JSON.parse((await home.mai(['session', 'list', '--json'])).stdout) as unknown[];
  assert.equal(list, []);
  id = '';
});

test('close --all closes every session of the user', async () => {
  for (const name of ['a1', 'a2']) assert.is((await home.mai(['session', 'create', '--no-connect', '--name', name])).code, 0);
  const before = (JSON.parse((await home.mai(['session', 'list', '--json'])).stdout) as Array<{ id: string }>).map((x) => x.id);
  assert.is(before.length, 3); // first, a1, a2
  const r = await home.mai(['session', 'close', '--all']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').sort(), before.sort());
  assert.equal(JSON.parse((await home.mai(['session', 'list', '--json'])).stdout), []);
  id = '';
});

test.run();
