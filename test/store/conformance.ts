/**
 * The one behaviour every Store must show, run against each implementation on a real
 * database. Not a test file itself: `*.test.ts` files call `defineStoreConformance`.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MaiError } from '../../gateway/errors.js';
import type { SessionRecord } from '../../gateway/domain/types.js';
import type { Store } from '../../gateway/store/store.js';

/** A place to put stores: each `fresh()` is an empty database; its opener may be called many times. */
export interface StoreTarget {
  readonly kind: Store['kind'];
  fresh(): Promise<() => Promise<Store>>;
  /** Removes everything `fresh()` made. Must not throw (uvu swallows hook errors). */
  dispose(): Promise<void>;
}

interface Context {
  open: () => Promise<Store>;
  store: Store;
  extra: Store[];
}

let counter = 0;

export function session(overrides: Partial<SessionRecord> = {}): SessionRecord {
  counter++;
  return {
    id: `s-${String(counter).padStart(4, '0')}`,
    name: `name-${counter}`,
    owner: 'alice',
    driver: 'goose',
    image: 'mai/goose:latest',
    status: 'creating',
    containerId: null,
    projectUrl: null,
    spec: { envKeys: [], volumes: [], ports: [], limits: { cpus: 1, memoryMb: 2048, pids: 512 } },
    createdAt: `2024-05-01T10:00:${String(counter % 60).padStart(2, '0')}.000Z`,
    updatedAt: `2024-05-01T10:00:${String(counter % 60).padStart(2, '0')}.000Z`,
    ...overrides,
  };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<MaiError> {
  try {
    await promise;
  } catch (err) {
    assert.instance(err, MaiError);
    assert.is((err as MaiError).code, code, (err as Error).message);
    return err as MaiError;
  }
  assert.unreachable(`expected ${code}`);
  throw new Error('unreachable');
}

export function defineStoreConformance(name: string, target: StoreTarget): void {
  const test = suite<Context>(`store conformance: ${name}`, {} as Context);

  // Opening in before.each, not before: uvu 0.5 swallows errors thrown by `before`
  // hooks and reports the suite green, whereas a failing before.each fails each test.
  test.before.each(async (ctx) => {
    ctx.extra = [];
    ctx.open = await target.fresh();
    ctx.store = await ctx.open();
  });
  test.after.each(async (ctx) => {
    for (const s of [ctx.store, ...ctx.extra]) await s?.close().catch(() => undefined);
  });
  test.after(() => target.dispose());

  test('kind', ({ store }) => {
    assert.is(store.kind, target.kind);
  });

  test('insert then get returns exactly the record', async ({ store }) => {
    const s = session({ containerId: 'abc123', projectUrl: 'git@github.com:alice/app.git', status: 'running' });
    await store.insertSession(s);
    assert.equal(await store.getSession(s.id), s);
    assert.is(await store.getSession('nope'), null);
  });

  test('spec round-trips (optional host absent, fractional cpus, flags)', async ({ store }) => {
    const s = session({
      spec: {
        envKeys: ['OPENAI_API_KEY', 'GIT_AUTHOR_NAME'],
        volumes: [
          { source: '/home/alice/src', target: '/work', readOnly: false },
          { source: 'cache-vol', target: '/cache', readOnly: true },
        ],
        ports: [{ container: 8080, host: 18080 }, { container: 5173 }],
        limits: { cpus: 1.5, memoryMb: 4096, pids: 256 },
      },
    });
    await store.insertSession(s);
    const back = await store.getSession(s.id);
    assert.equal(back, s);
    assert.not.ok(back && 'host' in back.spec.ports[1]!, 'absent optional key stays absent');
  });

  test('spec round-trips the AI tool wiring: model, MCP servers, egress, network, sidecars', async ({ store }) => {
    const s = session({
      spec: {
        envKeys: [],
        volumes: [],
        ports: [],
        limits: { cpus: 1, memoryMb: 512, pids: 64 },
        model: 'openrouter/anthropic/claude-x',
        mcp: ['everything', 'docs'],
        egress: 'allow:github.com,*.npmjs.org',
        network: 'mai-net-abc',
        sidecars: ['mai-abc-mcp-everything', 'mai-abc-egress'],
      },
    });
    await store.insertSession(s);
    assert.equal(await store.getSession(s.id), s);
  });

  test('tool settings: per owner and kind, upsert keeps createdAt, delete says whether it did', async ({ store }) => {
    const row = (owner: string, kind: 'provider' | 'mcp', name: string, stamp: string) => ({
      owner, kind, name, spec: JSON.stringify({ name }), secret: `v1.${owner}`, createdAt: stamp, updatedAt: stamp,
    });
    assert.is(await store.tools.upsertToolSetting(row('alice', 'provider', 'work', 't1')), true);
    await store.tools.upsertToolSetting(row('alice', 'mcp', 'work', 't1'));
    await store.tools.upsertToolSetting(row('bob', 'provider', 'work', 't1'));
    await store.tools.upsertToolSetting(row('alice', 'provider', 'a-first', 't1'));
    assert.is(await store.tools.upsertToolSetting({ ...row('alice', 'provider', 'work', 't2'), secret: null }), false);
    const back = await store.tools.getToolSetting('alice', 'provider', 'work');
    assert.equal(back, { ...row('alice', 'provider', 'work', 't1'), secret: null, updatedAt: 't2' });
    assert.equal((await store.tools.listToolSettings('alice', 'provider')).map((r) => r.name), ['a-first', 'work']);
    assert.equal((await store.tools.listToolSettings('alice', 'mcp')).map((r) => r.name), ['work']);
    assert.is(await store.tools.deleteToolSetting('alice', 'provider', 'work'), true);
    assert.is(await store.tools.deleteToolSetting('alice', 'provider', 'work'), false);
    assert.is(await store.tools.getToolSetting('alice', 'provider', 'work'), null);
    assert.ok(await store.tools.getToolSetting('bob', 'provider', 'work'), "another owner's row stays");
  });

  test('find by name is per owner', async ({ store }) => {
    const a = session({ owner: 'alice', name: 'dev' });
    const b = session({ owner: 'bob', name: 'dev' });
    await store.insertSession(a);
    await store.insertSession(b);
    assert.equal(await store.findSessionByName('alice', 'dev'), a);
    assert.equal(await store.findSessionByName('bob', 'dev'), b);
    assert.is(await store.findSessionByName('carol', 'dev'), null);
    assert.is(await store.findSessionByName('alice', 'other'), null);
  });

  test('duplicate name for one owner is SESSION_NAME_TAKEN; another owner may reuse it', async ({ store }) => {
    await store.insertSession(session({ owner: 'alice', name: 'dev' }));
    const err = await rejectsWith(store.insertSession(session({ owner: 'alice', name: 'dev' })), 'SESSION_NAME_TAKEN');
    assert.is(err.message, 'a session named "dev" already exists');
    await store.insertSession(session({ owner: 'bob', name: 'dev' }));
    assert.is((await store.listSessions('alice')).length, 1);
  });

  test('duplicate id is SESSION_NAME_TAKEN too', async ({ store }) => {
    const s = session();
    await store.insertSession(s);
    await rejectsWith(store.insertSession({ ...s, name: 'another' }), 'SESSION_NAME_TAKEN');
  });

  test('list: all and by owner, oldest first, ties by id', async ({ store }) => {
    const t = (m: number) => `2024-06-01T00:${String(m).padStart(2, '0')}:00.000Z`;
    const late = session({ id: 'b-late', owner: 'alice', createdAt: t(30) });
    const early = session({ id: 'z-early', owner: 'bob', createdAt: t(1) });
    const tieB = session({ id: 'tie-b', owner: 'alice', createdAt: t(10) });
    const tieA = session({ id: 'tie-a', owner: 'bob', createdAt: t(10) });
    for (const s of [late, tieB, early, tieA]) await store.insertSession(s);
    assert.equal(await store.listSessions(), [early, tieA, tieB, late]);
    assert.equal(await store.listSessions('alice'), [tieB, late]);
    assert.equal(await store.listSessions('bob'), [early, tieA]);
    assert.equal(await store.listSessions('carol'), []);
  });

  test('update: status, containerId set and cleared, updatedAt bumped, missing id -> null', async ({ store }) => {
    const s = session();
    await store.insertSession(s);

    const running = await store.updateSession(s.id, { status: 'running', containerId: 'c0ffee' });
    assert.ok(running);
    assert.is(running.status, 'running');
    assert.is(running.containerId, 'c0ffee');
    assert.is(running.createdAt, s.createdAt);
    assert.ok(running.updatedAt > s.updatedAt, 'updatedAt moves forward');
    assert.ok(!Number.isNaN(Date.parse(running.updatedAt)));
    assert.equal(await store.getSession(s.id), running);

    const statusOnly = await store.updateSession(s.id, { status: 'stopped' });
    assert.is(statusOnly?.containerId, 'c0ffee', 'undefined leaves a field alone');

    const cleared = await store.updateSession(s.id, { containerId: null });
    assert.is(cleared?.containerId, null);
    assert.is(cleared?.status, 'stopped');
    assert.equal({ ...cleared, updatedAt: '', status: s.status, containerId: null }, { ...s, updatedAt: '' });

    assert.is(await store.updateSession('gone', { status: 'missing' }), null);
  });

  test('delete returns whether a row went', async ({ store }) => {
    const s = session({ name: 'dev' });
    await store.insertSession(s);
    assert.is(await store.deleteSession(s.id), true);
    assert.is(await store.deleteSession(s.id), false);
    assert.is(await store.getSession(s.id), null);
    await store.insertSession(session({ name: 'dev' })); // the name is free again
  });

  test('lifecycle fields round-trip; absent stays absent', async ({ store }) => {
    const plain = session();
    const timed = session({ expiresAt: '2024-05-02T10:00:00.000Z', lastActiveAt: '2024-05-01T11:00:00.000Z' });
    await store.insertSession(plain);
    await store.insertSession(timed);
    assert.equal(await store.getSession(timed.id), timed);
    const back = await store.getSession(plain.id);
    assert.equal(back, plain);
    assert.not.ok(back && ('expiresAt' in back || 'lastActiveAt' in back));
  });

  test('touch records activity without bumping updatedAt', async ({ store }) => {
    const s = session();
    await store.insertSession(s);
    await store.touchSession(s.id, '2024-05-03T00:00:00.000Z');
    assert.equal(await store.getSession(s.id), { ...s, lastActiveAt: '2024-05-03T00:00:00.000Z' });
    await store.touchSession('gone', '2024-05-03T00:00:00.000Z'); // a closed session: nothing to do
  });

  test('claim: one of several racing claims wins; a heartbeat in between makes a claim lose', async (ctx) => {
    const s = session();
    await ctx.store.insertSession(s);
    const others = await Promise.all([ctx.open(), ctx.open()]);
    ctx.extra.push(...others);
    const claims = [ctx.store, ...others].map((st, i) => st.claimSession(s.id, undefined, `2024-05-04T00:00:0${i}.000Z`));
    assert.equal((await Promise.all(claims)).filter(Boolean).length, 1);
    const seen = (await ctx.store.getSession(s.id))!.lastActiveAt;
    await ctx.store.touchSession(s.id, '2024-05-05T00:00:00.000Z');
    assert.is(await ctx.store.claimSession(s.id, seen, '2024-05-06T00:00:00.000Z'), false);
    assert.is(await ctx.store.claimSession(s.id, '2024-05-05T00:00:00.000Z', '2024-05-06T00:00:00.000Z'), true);
    assert.is(await ctx.store.claimSession('gone', undefined, '2024-05-06T00:00:00.000Z'), false);
  });

  test('migrations are idempotent: reopening keeps the data', async (ctx) => {
    const s = session();
    await ctx.store.insertSession(s);
    const again = await ctx.open();
    ctx.extra.push(again);
    assert.equal(await again.getSession(s.id), s);
    await ctx.store.close();
    const third = await ctx.open();
    ctx.extra.push(third);
    assert.equal(await third.listSessions(), [s]);
  });

  test('concurrent opens of a fresh database both migrate cleanly', async (ctx) => {
    const open = await target.fresh();
    const stores = await Promise.all([open(), open(), open()]);
    ctx.extra.push(...stores);
    const [a, b, c] = stores;
    const s = session();
    await a!.insertSession(s);
    assert.equal(await b!.getSession(s.id), s);
    await rejectsWith(c!.insertSession({ ...s, id: 'other' }), 'SESSION_NAME_TAKEN');
  });

  test('the instance id is made once and shared by every opener of the database', async (ctx) => {
    const first = await ctx.store.instanceId();
    assert.match(first, /^[0-9a-f-]{36}$/);
    const stores = await Promise.all([ctx.open(), ctx.open()]);
    ctx.extra.push(...stores);
    const ids = await Promise.all(stores.map((s) => s.instanceId()));
    assert.equal(ids, [first, first]);
  });

  test('concurrent first reads of the instance id agree', async (ctx) => {
    const open = await target.fresh();
    const stores = await Promise.all([open(), open(), open()]);
    ctx.extra.push(...stores);
    const ids = await Promise.all(stores.map((s) => s.instanceId()));
    assert.is(new Set(ids).size, 1);
  });

  test('close is idempotent; use after close is STORE_FAILED', async ({ store }) => {
    await store.close();
    await store.close();
    await Promise.all([store.close(), store.close()]);
    await rejectsWith(store.listSessions(), 'STORE_FAILED');
  });

  test.run();
}
