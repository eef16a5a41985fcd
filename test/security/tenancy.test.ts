/**
 * A shared `mai serve` among users who do not trust each other, driven through its
 * real front ends (OpenSSH and REST over HTTP): what one user may name and how much
 * she may take. Each test here failed before the fix it guards.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DockerBackend } from '../../gateway/backend/docker-backend.js';
import { ensureDriverImage, hostBuildArgs } from '../../gateway/domain/driver-builder.js';
import { DriverCatalog } from '../../gateway/domain/driver-catalog.js';
import { persistVolumeName } from '../../gateway/domain/session-extras.js';
import { packageRoot } from '../../drivers/package-root.js';
import { docker, newRunId } from '../docker/docker-fixtures.js';
import { GatewayHarness, type SshUser } from '../helpers/gateway-harness.js';
import { run } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

const test = suite('multi-tenant safety');
const runId = newRunId();
const TOKENS = { bob: `bob-token-${runId}-0123456789`, root: `root-token-${runId}-012345678` };
const drivers = tempDir('mai-tenancy-drivers-');
const PERSIST = '/home/mai/.tool';

/** A custom driver folder FROM mai/base that keeps PERSIST per user (what an operator's `drivers[].dir` names). */
function driverFolder(name: string): string {
  const dir = join(drivers.path, name);
  mkdirSync(dir, { recursive: true });
  // The path exists in the image, owned by the session user, as a real driver's would.
  writeFileSync(join(dir, 'Dockerfile'), `FROM mai/base:latest\nLABEL mai.test=${runId}\nRUN mkdir -p ${PERSIST}\n`);
  writeFileSync(
    join(dir, 'mai-driver.yaml'),
    `name: ${name}\nimage: mai-test/${name}-${runId}:latest\npersist:\n  - path: ${PERSIST}\n`,
  );
  return dir;
}

// Two drivers and two users whose old volume names met: owner "a" + driver "b-c" and owner "a-b" + driver "c".
const folders = { 'b-c': driverFolder('b-c'), c: driverFolder('c') };
const gw = new GatewayHarness({
  auth: {
    users: [
      { name: 'bob', token: TOKENS.bob },
      { name: 'root', token: TOKENS.root, admin: true },
    ],
  },
  drivers: Object.entries(folders).map(([name, dir]) => ({ name, dir })),
  quotas: { sessionsPerUser: 2, cpus: 1, hostPorts: '20000-20010' },
});
const users: Record<string, SshUser> = {};

test.before.each(async () => {
  if (gw.server) return;
  await gw.start();
  for (const name of ['alice', 'a', 'a-b', 'carol']) users[name] = await gw.user(name);
  const catalog = new DriverCatalog(join(packageRoot(), 'drivers'), Object.values(folders));
  for (const name of Object.keys(folders)) await ensureDriverImage(new DockerBackend(), catalog, catalog.get(name), () => {}, hostBuildArgs());
});
test.after(async () => {
  await gw.stop();
  const volumes = (await docker(['volume', 'ls', '-q', '--filter', 'name=mai-persist-'])).stdout.split('\n');
  const ours = volumes.filter((v) => ['a', 'a-b', 'carol'].some((u) => v.startsWith(`mai-persist-${u}-`)));
  if (ours.length) await docker(['volume', 'rm', '-f', ...ours]);
  await docker(['rmi', '-f', ...Object.keys(folders).map((n) => `mai-test/${n}-${runId}:latest`)]);
  drivers.remove();
});

async function rest(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`http://127.0.0.1:${gw.server.httpPort}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function sessionsOf(token: string): Promise<string[]> {
  return ((await rest('GET', '/sessions', token)).json.sessions as Array<{ id: string }>).map((s) => s.id);
}

test('a driver folder on the server disk cannot be named, by ssh or REST; nothing is read or built', async () => {
  // What a user could plant in her own persisted volume on the server's disk.
  const planted = join(gw.dir.path, 'planted');
  mkdirSync(planted);
  writeFileSync(join(planted, 'mai-driver.yaml'), `name: planted\nimage: mai-test/planted-${runId}:latest\n`);
  writeFileSync(join(planted, 'Dockerfile'), `FROM mai/base:latest\nLABEL mai.test=${runId}\n`);

  const ssh = await gw.ssh(users.alice!, 'alice', ['new', '--driver', planted]);
  assert.is(ssh.code, 1);
  assert.match(ssh.stderr, 'drivers are named on this server');
  const relative = await gw.ssh(users.alice!, 'alice', ['new', '--driver', '../planted']);
  assert.match(relative.stderr, 'drivers are named on this server');
  const viaRest = await rest('POST', '/sessions', TOKENS.bob, { driver: planted });
  assert.equal([viaRest.status, viaRest.json.code], [403, 'AUTH_FORBIDDEN']);
  // Driver details are by name too: the folder's manifest is not read out.
  assert.is((await rest('GET', `/drivers/${encodeURIComponent(planted)}`, TOKENS.bob)).status, 400);
  assert.is((await docker(['image', 'inspect', `mai-test/planted-${runId}:latest`])).code, 1, 'nothing was built');
  assert.equal(await sessionsOf(TOKENS.bob), []);
});

test('persisted tool settings: user "a-b" with driver "c" never gets the volume of "a" with "b-c"', async () => {
  const mine = await gw.ssh(users.a!, 'a', ['new', '--driver', 'b-c', '--name', 'v']);
  assert.is(mine.code, 0, mine.stderr);
  assert.is((await gw.ssh(users.a!, 'a', ['v', `echo a-login-token > ${PERSIST}/login`])).code, 0);
  const theirs = await gw.ssh(users['a-b']!, 'a-b', ['new', '--driver', 'c', '--name', 'v']);
  assert.is(theirs.code, 0, theirs.stderr);
  const read = await gw.ssh(users['a-b']!, 'a-b', ['v', `cat ${PERSIST}/login 2>/dev/null || echo none`]);
  assert.is(read.stdout.trim(), 'none');
  // a's own next session still has it: the volume outlives sessions, per owner.
  assert.is((await gw.ssh(users.a!, 'a', ['close', 'v'])).code, 0);
  assert.is((await gw.ssh(users.a!, 'a', ['new', '--driver', 'b-c', '--name', 'v2'])).code, 0);
  assert.is((await gw.ssh(users.a!, 'a', ['v2', `cat ${PERSIST}/login`])).stdout.trim(), 'a-login-token');
  for (const [user, name] of [['a', 'v2'], ['a-b', 'v']] as const) await gw.ssh(users[user]!, user, ['close', name]);
});

test("a volume under a session's persisted name but labelled for someone else is refused, not mounted", async () => {
  const name = persistVolumeName('carol', 'c', PERSIST);
  assert.is((await docker(['volume', 'create', '--label', 'mai.owner=mallory', name])).code, 0);
  const r = await gw.ssh(users.carol!, 'carol', ['new', '--driver', 'c']);
  assert.is(r.code, 1);
  assert.match(r.stderr, 'belongs to someone else');
  const list = JSON.parse((await gw.ssh(users.carol!, 'carol', ['ls', '--json'])).stdout) as unknown[];
  assert.equal(list, []);
});

test('quotas: sessions per user (racing creates too), limits and host ports; one code, nothing made; admins exempt', async () => {
  // Four creates at once against a quota of two: two get through, whatever the interleaving (one process; across
  // replicas a recount after the insert still keeps the total within the quota).
  const raced = await Promise.all([1, 2, 3, 4].map(() => rest('POST', '/sessions', TOKENS.bob, {})));
  assert.equal(raced.map((r) => r.status).sort(), [201, 201, 403, 403]);
  assert.ok(raced.filter((r) => r.status === 403).every((r) => r.json.code === 'QUOTA_EXCEEDED'));
  assert.is((await sessionsOf(TOKENS.bob)).length, 2);
  for (const id of await sessionsOf(TOKENS.bob)) assert.is((await rest('DELETE', `/sessions/${id}`, TOKENS.bob)).status, 204);

  const cpus = await rest('POST', '/sessions', TOKENS.bob, { limits: { cpus: 2 } });
  assert.equal([cpus.status, cpus.json.code], [403, 'QUOTA_EXCEEDED']);
  assert.match(String(cpus.json.message), '--cpus 2');
  const port = await rest('POST', '/sessions', TOKENS.bob, { ports: [{ container: 80, host: 8080 }] });
  assert.equal([port.status, port.json.code], [403, 'QUOTA_EXCEEDED']);
  assert.match(String(port.json.message), '20000-20010');
  const ssh = await gw.ssh(users.alice!, 'alice', ['new', '-p', '1022:22']);
  assert.match(ssh.stderr, 'cannot be published');
  assert.equal(await sessionsOf(TOKENS.bob), []);

  const admin = await rest('POST', '/sessions', TOKENS.root, { limits: { cpus: 2 } });
  assert.is(admin.status, 201, JSON.stringify(admin.json));
  assert.is((await rest('DELETE', `/sessions/${admin.json.id}`, TOKENS.root)).status, 204);
});

test('channels per connection are bounded (OpenSSH MaxSessions): the next one is refused, the others run on', async () => {
  const made = await gw.ssh(users.alice!, 'alice', ['new', '--name', 'chan']);
  assert.is(made.code, 0, made.stderr);
  const control = join(gw.dir.path, 'ctl.sock');
  const mux = ['-o', `ControlPath=${control}`];
  const master = gw.spawnSsh(users.alice!, 'alice', ['-N'], [...mux, '-o', 'ControlMaster=yes']);
  try {
    await waitFor(async () => (await run('ssh', ['-O', 'check', ...mux, 'alice@127.0.0.1'])).code === 0);
    // The default quota is 10; this server's config leaves it at 10: hold 10 channels, the 11th fails.
    const held = Array.from({ length: 10 }, () => gw.spawnSsh(users.alice!, 'alice', ['chan', 'sleep', '61'], mux));
    await waitFor(async () => (await gw.ssh(users.alice!, 'alice', ['chan', 'pgrep -c -f "^sleep 61$" || true'])).stdout.trim() === '10');
    const before = gw.audit().length;
    // OpenSSH's mux client, refused by the server, runs the command over a new connection of its own instead.
    const eleventh = await gw.ssh(users.alice!, 'alice', ['chan', 'echo', 'in'], { extra: mux });
    assert.is(eleventh.stdout.trim(), 'in');
    const events = gw.audit().slice(before);
    const refusal = events.find((e) => e.event === 'channel.refused' && e.reason === 'QUOTA_EXCEEDED');
    assert.ok(refusal, 'the eleventh channel on the shared connection was refused');
    const ranOn = events.find((e) => e.event === 'channel.command');
    assert.ok(ranOn && ranOn.conn !== refusal!.conn, 'and the command ran on another connection');
    for (const child of held) child.kill();
    // A fresh connection is another connection: it gets its own channels.
    assert.is((await gw.ssh(users.alice!, 'alice', ['chan', 'echo', 'fresh'])).stdout.trim(), 'fresh');
  } finally {
    master.kill();
    await gw.ssh(users.alice!, 'alice', ['close', 'chan']);
  }
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}

test.run();
