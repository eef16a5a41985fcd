/**
 * Crash consistency, by fault injection into the built `mai serve` on the real engine:
 * for every step of a create and of a close (`CRASH_POINTS`), the server kills itself
 * there (SIGKILL, no cleanup); after a restart without the crash point, no session is
 * left `creating` or `closing`, the name is free again, what exists can be closed, and
 * no container of the user's is left without its session. Then on one PostgreSQL
 * schema with two servers: a survivor rolls back the create of a peer that died, at
 * once, and of a peer that froze, when its lease runs out; the frozen one, thawed,
 * finds its create gone and says so.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LABEL_OWNER, LABEL_SESSION } from '../../gateway/backend/backend.js';
import { DockerBackend } from '../../gateway/backend/docker-backend.js';
import { CRASH_POINTS } from '../../gateway/domain/crash-points.js';
import { docker, ensureBaseImage, newRunId } from '../docker/docker-fixtures.js';
import { eventually } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { freshSchemaName, PG_URL } from '../store/targets.js';
import { CrashServer, type ApiAnswer } from './crash-server.js';

const test = suite('crash consistency');
const runId = newRunId();
const USER = `crash${runId}`;
const TOKEN = randomBytes(24).toString('hex');
const NETWORK = `mai-test-${runId}`;
const dir = tempDir('mai-crash-');
const servers: CrashServer[] = [];
const schemas: string[] = [];

function server(name: string, options: { leaseSeconds?: number; database?: { url: string; schema: string } } = {}): CrashServer {
  const made = new CrashServer(join(dir.path, name), { user: USER, token: TOKEN, network: NETWORK, leaseSeconds: options.leaseSeconds ?? 60, ...(options.database ? { database: options.database } : {}) });
  servers.push(made);
  return made;
}

interface Listed {
  id: string;
  name: string;
  status: string;
}

async function sessions(on: CrashServer): Promise<Listed[]> {
  const answer = await on.api('GET', '/sessions');
  assert.is(answer.status, 200, JSON.stringify(answer.body));
  return answer.body['sessions'] as Listed[];
}

/** The user's containers on the engine, by their session label (asked of the engine, not of mai). */
async function containerSessions(): Promise<string[]> {
  const r = await docker(['ps', '-a', '--filter', `label=${LABEL_OWNER}=${USER}`, '--format', `{{.Label "${LABEL_SESSION}"}}`]);
  return r.stdout.split('\n').filter(Boolean).sort();
}

/** What a user can act on: nothing in flight, every container with its session, and `name` free. */
async function assertConsistent(on: CrashServer, name: string): Promise<void> {
  const listed = await sessions(on);
  assert.equal(listed.filter((s) => s.status === 'creating' || s.status === 'closing'), [], 'nothing stuck in flight');
  assert.not.ok(listed.some((s) => s.name === name), `${name} was rolled back or closed`);
  assert.equal(await containerSessions(), listed.map((s) => s.id).sort(), 'no container without its session');
}

/** The name can be used again, and the new session closed. */
async function assertReusable(on: CrashServer, name: string): Promise<void> {
  const again = await on.api('POST', '/sessions', { name });
  assert.is(again.status, 201, JSON.stringify(again.body));
  assert.is(again.body['status'], 'running');
  const closed = await on.api('DELETE', `/sessions/${name}`);
  assert.is(closed.status, 204, JSON.stringify(closed.body));
  assert.not.ok((await containerSessions()).includes(String(again.body['id'])));
}

function created(answer: ApiAnswer): string {
  assert.is(answer.status, 201, JSON.stringify(answer.body));
  return String(answer.body['id']);
}

test.before(async () => {
  await ensureBaseImage(new DockerBackend());
});

test.after(async () => {
  for (const s of servers) await s.stop('SIGKILL').catch(() => undefined);
  const left = (await docker(['ps', '-aq', '--filter', `label=${LABEL_OWNER}=${USER}`])).stdout.split('\n').filter(Boolean);
  if (left.length) await docker(['rm', '-fv', ...left]);
  await docker(['network', 'rm', NETWORK]);
  const volumes = (await docker(['volume', 'ls', '-q', '--filter', `name=mai-persist-${USER}-`])).stdout.split('\n').filter(Boolean);
  if (volumes.length) await docker(['volume', 'rm', '-f', ...volumes]);
  if (schemas.length) {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
  dir.remove();
});

test('every crash point is reached by a create or a close', () => {
  assert.ok(CRASH_POINTS.some((p) => p.startsWith('create.')));
  assert.ok(CRASH_POINTS.some((p) => p.startsWith('close.')));
});

const sqlite = server('sqlite');

for (const point of CRASH_POINTS) {
  test(`killed at ${point}: after a restart nothing is stuck, the name is free, nothing is orphaned`, async () => {
    const name = `at-${point.replace('.', '-')}`;
    if (point.startsWith('create.')) {
      await sqlite.start({ at: point });
      const answer = await sqlite.api('POST', '/sessions', { name });
      assert.is(answer.status, 0, `the server died mid-create: ${JSON.stringify(answer.body)}`);
    } else {
      await sqlite.start();
      created(await sqlite.api('POST', '/sessions', { name }));
      await sqlite.stop();
      await sqlite.start({ at: point });
      const answer = await sqlite.api('DELETE', `/sessions/${name}`);
      assert.is(answer.status, 0, `the server died mid-close: ${JSON.stringify(answer.body)}`);
    }
    assert.is(await sqlite.wait(), 'SIGKILL');
    assert.match(sqlite.stderr, `mai: crash point ${point}`);

    await sqlite.start();
    await assertConsistent(sqlite, name);
    await assertReusable(sqlite, name);
    await sqlite.stop();
  });
}

test('a session that survived the crashes can be closed', async () => {
  await sqlite.start();
  const kept = created(await sqlite.api('POST', '/sessions', { name: 'kept' }));
  await sqlite.stop('SIGKILL');
  await sqlite.start();
  assert.equal((await sessions(sqlite)).map((s) => [s.id, s.status]), [[kept, 'running']]);
  assert.is((await sqlite.api('DELETE', '/sessions/kept')).status, 204);
  assert.equal(await containerSessions(), []);
  await sqlite.stop();
});

test('PostgreSQL: a peer that died mid-create is rolled back by the survivor, at once, without a restart', async () => {
  const schema = freshSchemaName();
  schemas.push(schema);
  const database = { url: PG_URL, schema };
  // The survivor's lease is long: what it rolls back here it knows dead (same host, PID gone), not expired.
  const survivor = server('pg-survivor', { database, leaseSeconds: 600 });
  const doomed = server('pg-doomed', { database, leaseSeconds: 600 });
  await survivor.start();
  await doomed.start({ at: 'create.after-container' });
  assert.is((await doomed.api('POST', '/sessions', { name: 'shared' })).status, 0);
  assert.is(await doomed.wait(), 'SIGKILL');
  await eventually(async () => !(await sessions(survivor)).some((s) => s.name === 'shared'), 120_000, 'the survivor to roll the create back');
  await assertConsistent(survivor, 'shared');
  await assertReusable(survivor, 'shared');
  await survivor.stop();
});

test('PostgreSQL: a frozen peer loses its create when its lease runs out; thawed, it answers SESSION_CREATE_ABANDONED', async () => {
  const schema = freshSchemaName();
  schemas.push(schema);
  const database = { url: PG_URL, schema };
  const LEASE = 10;
  const survivor = server('lease-survivor', { database, leaseSeconds: LEASE });
  const frozen = server('lease-frozen', { database, leaseSeconds: LEASE });
  await survivor.start();
  await frozen.start({ at: 'create.after-start', mode: 'stop' });
  const answer = frozen.api('POST', '/sessions', { name: 'slow' });
  await frozen.frozen();
  // Its PID runs (frozen, as a hung host would be): only the lease's end lets another take over.
  const inFlight = (await sessions(survivor)).find((s) => s.name === 'slow');
  assert.is(inFlight?.status, 'creating', 'a live holder keeps its create while its lease runs');
  await eventually(async () => !(await sessions(survivor)).some((s) => s.name === 'slow'), 120_000, 'the lease to run out and the survivor to take over');
  await assertConsistent(survivor, 'slow');

  frozen.child!.kill('SIGCONT');
  const thawed = await answer;
  assert.is(thawed.status, 503, JSON.stringify(thawed.body));
  assert.is(thawed.body['code'], 'SESSION_CREATE_ABANDONED');
  await assertConsistent(survivor, 'slow');
  await assertReusable(survivor, 'slow');
  await Promise.all([survivor.stop(), frozen.stop()]);
});

test.run();
