/**
 * The session lifecycle with several processes on one store: two domain cores (as two
 * `mai serve` replicas would have) on one PostgreSQL schema and the real engine. Both
 * run their passes at once; each idle session is reaped by exactly one of them, and a
 * session with a client in either process is left alone. Plus the rules themselves:
 * deadlines, `--ttl` bounds, the pass interval.
 */
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { packageRoot } from '../../drivers/package-root.js';
import { DockerBackend } from '../../gateway/backend/docker-backend.js';
import { DriverCatalog } from '../../gateway/domain/driver-catalog.js';
import { EventBus, type DomainEvent } from '../../gateway/domain/events.js';
import { SessionLifecycle, passInterval } from '../../gateway/domain/lifecycle.js';
import { checkTtl, lifetimeEnd, nextDeadline, type LifecycleSettings } from '../../gateway/domain/lifecycle-rules.js';
import { LOCAL_POLICY } from '../../gateway/domain/policy.js';
import { SessionService } from '../../gateway/domain/session-service.js';
import type { Actor, SessionRecord } from '../../gateway/domain/types.js';
import { openStore } from '../../gateway/store/open-store.js';
import type { Store } from '../../gateway/store/store.js';
import { errorCode } from '../helpers/errors.js';
import { eventually } from '../helpers/run.js';
import { ownBaseDriver } from '../helpers/gateway-harness.js';
import { tempDir } from '../helpers/tmp.js';
import { dropSchemas, freshSchemaName, PG_URL } from '../store/targets.js';

const test = suite('session lifecycle');
const SETTINGS: LifecycleSettings = { idleTimeoutSeconds: 60, idleAction: 'close', maxLifetimeSeconds: 3600, warnBeforeSeconds: 300 };
const alice: Actor = { name: 'alice', admin: false };
const schema = freshSchemaName();
const dir = tempDir('mai-lifecycle-');
const stores: Store[] = [];
const replicas: Array<{ sessions: SessionService; lifecycle: SessionLifecycle; events: DomainEvent[] }> = [];
/** The replicas' clock: moved forward instead of waiting. */
let clock = Date.now();

async function replica(): Promise<(typeof replicas)[number]> {
  const store = await openStore({ databaseUrl: PG_URL, dataDir: dir.path, schema });
  stores.push(store);
  const bus = new EventBus();
  const events: DomainEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const sessions = new SessionService({
    store,
    backend: new DockerBackend(),
    drivers: new DriverCatalog(join(packageRoot(), 'drivers'), [], [ownBaseDriver()]),
    instanceId: await store.instanceId(),
    defaultDriver: 'base',
    network: 'mai-test',
    policy: LOCAL_POLICY,
    lifecycle: SETTINGS,
    events: bus,
    now: () => new Date(clock),
  });
  const lifecycle = new SessionLifecycle({ store, sessions, settings: SETTINGS, events: bus, now: () => new Date(clock) });
  return { sessions, lifecycle, events };
}

test.before(async () => {
  if (replicas.length) return;
  replicas.push(await replica(), await replica());
});
test.after(async () => {
  const [a] = replicas;
  if (a) for (const s of await a.sessions.list({ name: 'cleanup', admin: true }, { all: true })) await a.sessions.close(s).catch(() => {});
  for (const store of stores) await store.close();
  await dropSchemas([schema]);
  dir.remove();
});

function record(overrides: Partial<SessionRecord>): SessionRecord {
  return {
    id: 'abcdefghjk', name: 'n', owner: 'alice', driver: 'base', image: 'i', status: 'running', containerId: null, projectUrl: null,
    spec: { envKeys: [], volumes: [], ports: [], limits: { cpus: 1, memoryMb: 64, pids: 16 } },
    createdAt: '2024-01-01T00:00:00.000Z', updatedAt: '2024-01-01T00:00:00.000Z',
    ...overrides,
  };
}

test('deadlines: the earlier of lifetime and idleness; idle only when running; a lowered maximum applies', () => {
  const created = '2024-01-01T00:00:00.000Z';
  assert.equal(nextDeadline(record({ lastActiveAt: '2024-01-01T00:10:00.000Z' }), SETTINGS), { at: '2024-01-01T00:11:00.000Z', reason: 'idle', action: 'close' });
  assert.equal(nextDeadline(record({ status: 'stopped' }), SETTINGS), { at: '2024-01-01T01:00:00.000Z', reason: 'lifetime', action: 'close' });
  assert.equal(nextDeadline(record({ status: 'stopped', expiresAt: '2024-01-01T00:30:00.000Z' }), SETTINGS)?.at, '2024-01-01T00:30:00.000Z');
  assert.equal(nextDeadline(record({ status: 'stopped', expiresAt: '2024-01-02T00:00:00.000Z' }), SETTINGS)?.at, '2024-01-01T01:00:00.000Z');
  assert.is(nextDeadline(record({}), { idleAction: 'stop', warnBeforeSeconds: 300 }), null);
  assert.equal(nextDeadline(record({}), { ...SETTINGS, idleAction: 'stop' })?.action, 'stop');
  assert.is(lifetimeEnd(new Date(created), 600, SETTINGS), '2024-01-01T00:10:00.000Z');
  assert.is(lifetimeEnd(new Date(created), undefined, SETTINGS), '2024-01-01T01:00:00.000Z');
  assert.is(lifetimeEnd(new Date(created), undefined, { idleAction: 'stop', warnBeforeSeconds: 300 }), undefined);
  assert.throws(() => checkTtl(7200, SETTINGS), /over this server's maximum/);
  assert.is(passInterval({ idleAction: 'stop', warnBeforeSeconds: 300 }), 30_000);
  assert.is(passInterval({ idleTimeoutSeconds: 5, idleAction: 'stop', warnBeforeSeconds: 300 }), 1250);
  assert.is(passInterval({ idleTimeoutSeconds: 1, idleAction: 'stop', warnBeforeSeconds: 1 }), 1000);
});

test('create: --ttl is kept as the lifetime end, and refused beyond the maximum before anything is made', async () => {
  const [a] = replicas;
  assert.is(await errorCode(a!.sessions.create(alice, { name: 'too-long', ttl: '2h' })), 'QUOTA_EXCEEDED');
  assert.equal(await a!.sessions.list(alice), []);
  const s = await a!.sessions.create(alice, { name: 'timed', ttl: '10m' });
  assert.is(Date.parse(s.expiresAt!) - Date.parse(s.createdAt), 600_000);
  await a!.sessions.close(s);
});

test('two replicas pass at once: an idle session is reaped once; one with a client in either replica is kept', async () => {
  const [a, b] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
  const idle = await a.sessions.create(alice, { name: 'idle' });
  const used = await a.sessions.create(alice, { name: 'used' });
  clock += 61_000;
  // Now a client of `used` in replica b (a command that runs until killed), recorded in the store as it starts.
  const proc = await b.sessions.exec(used, { cmd: ['sleep', '600'], tty: false });
  await eventually(async () => (await stores[0]!.getSession(used.id))?.lastActiveAt === new Date(clock).toISOString(), 5000, 'the activity recorded');
  try {
    await Promise.all([a.lifecycle.pass(), b.lifecycle.pass(), a.lifecycle.pass(), b.lifecycle.pass()]);
    const reaped = [...a.events, ...b.events].filter((e) => e.type === 'session.reaped');
    assert.equal(reaped.map((e) => [e.fields.session, e.fields.reason, e.fields.action]), [[idle.id, 'idle', 'close']]);
    const left = (await a.sessions.list(alice)).map((s) => s.name);
    assert.equal(left, ['used'], 'kept: b\'s heartbeat reached the store a reads');
  } finally {
    await proc.kill();
    await proc.wait().catch(() => 0);
  }
  // Its client gone, `used` is idle too once the timeout has passed again.
  clock += 61_000;
  await Promise.all([a.lifecycle.pass(), b.lifecycle.pass()]);
  assert.equal(await a.sessions.list(alice), []);
});

test.run();
