/**
 * Session status on a server comes from the engine's event stream: a session
 * whose container is killed behind mai's back (`docker kill`) shows as stopped in
 * `GET /sessions` and `GET /sessions/{id}`, with no listing asked of the engine,
 * and `/metrics` says the state is served from memory. A second server on the
 * same store (a replica) sees the same, from its own watch of the engine. A
 * sidecar (a container with the session's labels and `mai.sidecar`) is never
 * taken for its session, and the reconcile from memory removes an orphaned one.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLogger } from '../../gateway/log.js';
import { assembleServer, type AssembledServer } from '../../gateway/server.js';
import { BASE_IMAGE, docker } from '../docker/docker-fixtures.js';
import { eventually } from '../helpers/run.js';
import { bearer, openApiFixture, TOKENS, type ApiFixture } from './api-fixture.js';

let f: ApiFixture;
/** A second server process on the same store: it watches the engine itself. */
let replica: AssembledServer;
let sessionId = '';

test.before(async () => {
  f = await openApiFixture('sqlite');
  replica = await assembleServer({ config: f.config, dataDir: f.dataDir, log: silentLogger });
});

test.after(async () => {
  if (sessionId) await f.app.inject({ method: 'DELETE', url: `/sessions/${sessionId}`, headers: bearer(TOKENS.alice) });
  await replica?.close(0);
  await f?.close();
});

const get = async (url: string, app = f.app) => (await app.inject({ method: 'GET', url, headers: bearer(TOKENS.alice) })).json();
const statusIn = async (app: ApiFixture['app'], id = sessionId) => (await get('/sessions', app)).sessions.find((s: { id: string }) => s.id === id)?.status;

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(name));
  return Number(line?.split(' ').pop());
}

test('a session killed behind mai\'s back shows as stopped, from the engine\'s events', async () => {
  const created = await f.app.inject({ method: 'POST', url: '/sessions', headers: bearer(TOKENS.alice), payload: { name: 'killed' } });
  assert.is(created.statusCode, 201, created.body);
  sessionId = created.json().id;
  // Listed at once after create: running (this process's own start is known without waiting for its event).
  assert.is((await get('/sessions')).sessions.find((s: { id: string }) => s.id === sessionId).status, 'running');

  const metrics = async () => (await f.app.inject({ method: 'GET', url: '/metrics' })).body;
  assert.is(metric(await metrics(), 'mai_engine_state_live'), 1);
  const listingsBefore = metric(await metrics(), 'mai_engine_listings_total{reason="start"}');

  // The replica learns of the session made through the other server from the store, and of its container from the engine.
  await eventually(async () => (await statusIn(replica.api)) === 'running', 15_000, 'the replica to see the session running');

  assert.is((await docker(['kill', `mai-${sessionId}`])).code, 0);
  await eventually(async () => (await statusIn(f.app)) === 'stopped', 15_000, 'the killed session to show as stopped');
  await eventually(async () => (await statusIn(replica.api)) === 'stopped', 15_000, 'the replica to show it stopped too');
  assert.is((await get(`/sessions/${sessionId}`)).status, 'stopped');
  const after = await metrics();
  assert.is(metric(after, 'mai_engine_listings_total{reason="start"}'), listingsBefore, 'no new listing: the event told');
  assert.ok(metric(after, 'mai_engine_events_total{action="die"}') >= 1);
});

/** A container beside the session, labelled as mai labels an MCP server's, made behind mai's back. */
async function sidecarOf(session: string, role: string): Promise<string> {
  const labels = { 'mai.session': session, 'mai.owner': 'alice', 'mai.instance': await f.store.instanceId(), 'mai.sidecar': role };
  const flags = Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  const r = await docker(['create', '--name', `mai-${session}-${role}`, ...flags, BASE_IMAGE]);
  assert.is(r.code, 0, r.stderr);
  return r.stdout.trim();
}

test('a sidecar is not its session: status comes from the session\'s own container', async () => {
  const created = await f.app.inject({ method: 'POST', url: '/sessions', headers: bearer(TOKENS.alice), payload: { name: 'with-sidecar' } });
  assert.is(created.statusCode, 201, created.body);
  const id = created.json().id as string;
  try {
    // A sidecar that ran and exited: were it taken for the session, the session would show as stopped.
    const metrics = async () => (await f.app.inject({ method: 'GET', url: '/metrics' })).body;
    const dies = metric(await metrics(), 'mai_engine_events_total{action="die"}');
    const sidecar = await sidecarOf(id, 'mcp-test');
    assert.is((await docker(['start', sidecar])).code, 0);
    assert.is((await docker(['kill', sidecar])).code, 0);
    await eventually(async () => metric(await metrics(), 'mai_engine_events_total{action="die"}') === dies + 1, 15_000, 'the sidecar\'s exit to be known');
    const listed = (await get('/sessions')).sessions.filter((s: { id: string }) => s.id === id);
    assert.is(listed.length, 1);
    assert.is(listed[0].status, 'running');
    assert.is((await get(`/sessions/${id}`)).status, 'running');
    // The other way round: a running sidecar does not keep a killed session "running".
    assert.is((await docker(['start', sidecar])).code, 0);
    assert.is((await docker(['kill', `mai-${id}`])).code, 0);
    await eventually(async () => (await statusIn(f.app, id)) === 'stopped', 15_000, 'the killed session to show as stopped');
    assert.is((await get(`/sessions/${id}`)).status, 'stopped');
  } finally {
    await f.app.inject({ method: 'DELETE', url: `/sessions/${id}`, headers: bearer(TOKENS.alice) });
    await docker(['rm', '-f', `mai-${id}-mcp-test`]);
  }
});

test('reconcile from memory: a sidecar whose session row is gone is removed', async () => {
  const orphan = 'a'.repeat(12);
  const sidecar = await sidecarOf(orphan, 'egress');
  try {
    await eventually(async () => (await docker(['inspect', sidecar])).code === 0, 15_000, 'the sidecar to exist');
    // The replica's memory must hold it before its reconcile can find it there.
    await eventually(async () => {
      const report = await replica.sessions.reconcile();
      return report.sidecarsRemoved === 1 ? report : null;
    }, 15_000, 'the reconcile to remove the sidecar');
    assert.is.not((await docker(['inspect', sidecar])).code, 0);
  } finally {
    await docker(['rm', '-f', sidecar]);
  }
});

test.run();
