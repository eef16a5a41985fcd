import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DriverCatalog } from '../../gateway/domain/driver-catalog.js';
import { packageRoot } from '../../drivers/package-root.js';
import { LABEL_SESSION } from '../../gateway/backend/backend.js';
import { DockerBackend } from '../../gateway/backend/docker-backend.js';
import { LABEL_INSTANCE, SessionService } from '../../gateway/domain/session-service.js';
import { LOCAL_POLICY, type Policy } from '../../gateway/domain/policy.js';
import type { Actor } from '../../gateway/domain/types.js';
import { MaiError } from '../../gateway/errors.js';
import { openStore } from '../../gateway/store/open-store.js';
import type { Store } from '../../gateway/store/store.js';
import { tempDir } from '../helpers/tmp.js';
import { docker } from './docker-fixtures.js';
import { errorCode } from '../helpers/errors.js';

/** The domain core on a real store and a real engine: ownership, all-or-nothing create, reconcile. */
const test = suite('session service');
const dir = tempDir();
const backend = new DockerBackend();
const alice: Actor = { name: 'alice', admin: false };
const bob: Actor = { name: 'bob', admin: false };
const admin: Actor = { name: 'root', admin: true };
let store: Store;
let sessions: SessionService;
let instanceId = '';

test.before.each(async () => {
  if (store) return;
  store = await openStore({ dataDir: dir.path });
  instanceId = await store.instanceId();
  sessions = service(SERVER_POLICY);
});

/** A shared server's rules, with room for this suite's sessions. */
const SERVER_POLICY: Policy = { ...LOCAL_POLICY, hostMounts: false, driverFolders: false };

function service(policy: Policy): SessionService {
  const drivers = new DriverCatalog(join(packageRoot(), 'drivers'));
  return new SessionService({ store, backend, drivers, instanceId, defaultDriver: 'base', network: 'mai-test', policy });
}
test.after(async () => {
  // uvu aborts the whole run when an after hook throws: clean up what exists, quietly.
  if (sessions) for (const s of await sessions.list(admin, { all: true })) await sessions.close(s).catch(() => {});
  if (instanceId) await docker(['rm', '-f', `mai-orphan-${instanceId.slice(0, 8)}`]);
  await store?.close();
  dir.remove();
});


async function containersOfInstance(): Promise<string[]> {
  const r = await docker(['ps', '-aq', '--filter', `label=${LABEL_INSTANCE}=${instanceId}`]);
  return r.stdout.split('\n').filter(Boolean);
}

test('ownership: another user\'s session is "not found" by id and by name; admins reach it', async () => {
  const s = await sessions.create(alice, { name: 'mine' });
  assert.is(await errorCode(sessions.find(bob, s.id)), 'SESSION_NOT_FOUND');
  assert.is(await errorCode(sessions.find(bob, 'mine')), 'SESSION_NOT_FOUND');
  assert.is((await sessions.find(alice, 'mine')).id, s.id);
  assert.is((await sessions.find(admin, s.id)).id, s.id);
  assert.equal((await sessions.list(bob)).map((x) => x.id), []);
});

test('names are unique per owner, not across owners', async () => {
  assert.is(await errorCode(sessions.create(alice, { name: 'mine' })), 'SESSION_NAME_TAKEN');
  const bobs = await sessions.create(bob, { name: 'mine' });
  assert.is(bobs.owner, 'bob');
});

test('on a shared server, users cannot mount host paths or volumes', async () => {
  const before = await containersOfInstance();
  assert.is(await errorCode(sessions.create(alice, { volumes: [{ source: '/etc', target: '/host-etc' }] })), 'AUTH_FORBIDDEN');
  assert.equal(await containersOfInstance(), before);
});

test('a create that fails at the engine leaves neither a row nor a container', async () => {
  const admins = service(LOCAL_POLICY);
  const rowsBefore = (await store.listSessions()).length;
  const before = await containersOfInstance();
  // The engine refuses a bind mount of a path that does not exist.
  const failure = await errorCode(admins.create(alice, { volumes: [{ source: '/nonexistent/mai-test-path', target: '/x' }] }));
  assert.ok(failure.startsWith('DOCKER_'), failure);
  assert.is((await store.listSessions()).length, rowsBefore);
  assert.equal(await containersOfInstance(), before);
});

test('reconcile: a vanished container is marked missing; closing it then works', async () => {
  const s = await sessions.create(alice, { name: 'vanishing' });
  await docker(['rm', '-f', s.containerId!]);
  const report = await sessions.reconcile();
  assert.is(report.markedMissing, 1);
  const found = await sessions.find(alice, 'vanishing');
  assert.is(found.status, 'missing');
  assert.is(await errorCode(sessions.exec(found, { cmd: ['true'], tty: false })), 'SESSION_NOT_RUNNING');
  await sessions.close(found);
  assert.is(await errorCode(sessions.find(alice, 'vanishing')), 'SESSION_NOT_FOUND');
});

test('reconcile: a container of ours without a row is removed; other instances\' are left alone', async () => {
  const orphan = `mai-orphan-${instanceId.slice(0, 8)}`;
  await docker(['create', '--name', orphan, '--label', `${LABEL_INSTANCE}=${instanceId}`, '--label', `${LABEL_SESSION}=ghost`, 'mai/base:latest']);
  const stranger = `mai-stranger-${instanceId.slice(0, 8)}`;
  await docker(['create', '--name', stranger, '--label', `${LABEL_INSTANCE}=someone-else`, '--label', `${LABEL_SESSION}=ghost`, 'mai/base:latest']);
  try {
    const report = await sessions.reconcile();
    assert.is(report.orphansRemoved, 1);
    assert.is.not((await docker(['inspect', orphan])).code, 0);
    assert.is((await docker(['inspect', stranger])).code, 0);
  } finally {
    await docker(['rm', '-f', stranger]);
  }
});

test('a close left halfway (row closing, container there) is finished by closing again, or by recovery once its holder is gone', async () => {
  const live = { holder: 'another-host/1/aa', expiresAt: new Date(Date.now() + 600_000).toISOString() };
  const resumed = await sessions.create(alice, { name: 'halfway' });
  await store.updateSession(resumed.id, { status: 'closing', lease: live });
  const found = await sessions.find(alice, 'halfway');
  assert.is(found.status, 'closing');
  assert.is(await errorCode(sessions.exec(found, { cmd: ['true'], tty: false })), 'SESSION_NOT_FOUND');
  assert.equal(await sessions.recover(), { createsRolledBack: 0, closesFinished: 0 }, "a live holder's close is left to it");
  await sessions.close(found);
  assert.is(await store.getSession(resumed.id), null);
  assert.is.not((await docker(['inspect', resumed.containerId!])).code, 0, 'the container is gone');

  const abandoned = await sessions.create(alice, { name: 'abandoned' });
  await store.updateSession(abandoned.id, { status: 'closing', lease: { ...live, expiresAt: new Date(Date.now() - 1000).toISOString() } });
  assert.equal(await sessions.recover(), { createsRolledBack: 0, closesFinished: 1 });
  assert.is(await store.getSession(abandoned.id), null);
  assert.is.not((await docker(['inspect', abandoned.containerId!])).code, 0, 'the container is gone');
});

test('status follows the engine: a stopped container lists as stopped and starts on exec', async () => {
  const s = await sessions.create(alice, { name: 'sleepy' });
  await docker(['stop', '-t', '1', s.containerId!]);
  const listed = (await sessions.list(alice)).find((x) => x.id === s.id);
  assert.is(listed?.status, 'stopped');
  const progress: string[] = [];
  const proc = await sessions.exec(listed!, { cmd: ['true'], tty: false }, (line) => progress.push(line));
  proc.stdout.resume();
  proc.stderr.resume();
  assert.is(await proc.wait(), 0);
  assert.match(progress.join('\n'), 'starting');
  assert.is((await sessions.find(alice, 'sleepy')).status, 'running');
});

test('closeAll closes only the actor\'s sessions', async () => {
  const closed = await sessions.closeAll(bob);
  assert.is(closed.length, 1);
  assert.ok((await sessions.list(alice)).length > 0);
});

test.run();
