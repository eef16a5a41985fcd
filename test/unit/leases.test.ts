import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Leases } from '../../gateway/domain/leases.js';
import { silentLogger } from '../../gateway/log.js';
import { openStore } from '../../gateway/store/open-store.js';
import type { Store } from '../../gateway/store/store.js';
import { tempDir } from '../helpers/tmp.js';

/** When a create or close in flight may be taken over: the rule every recovery pass applies. */
const dir = tempDir('mai-leases-');
let store: Store;
const NOW = Date.parse('2026-01-01T12:00:00.000Z');
const at = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();
const UPDATED = at(-1000);

test.before(async () => {
  store = await openStore({ dataDir: dir.path });
});

test.after(async () => {
  await store.close();
  dir.remove();
});

function leases(): Leases {
  return new Leases(store, 60_000, () => new Date(NOW), silentLogger);
}

test('a holder on another host: taken over only once its lease has run out', () => {
  const l = leases();
  assert.not.ok(l.abandoned('s1', { holder: 'elsewhere/1/ab', expiresAt: at(1) }, UPDATED));
  assert.ok(l.abandoned('s1', { holder: 'elsewhere/1/ab', expiresAt: at(0) }, UPDATED));
});

test('a holder on this host: at once when its PID is gone or is now ours (an earlier life); a running PID waits for the lease', () => {
  const l = leases();
  const gone = spawnSync(process.execPath, ['-e', '']).pid;
  assert.ok(l.abandoned('s1', { holder: `${hostname()}/${gone}/ab`, expiresAt: at(60_000) }, UPDATED), 'dead PID');
  assert.ok(l.abandoned('s1', { holder: `${hostname()}/${process.pid}/earlier`, expiresAt: at(60_000) }, UPDATED), 'our PID, another start');
  assert.not.ok(l.abandoned('s1', { holder: `${hostname()}/${process.ppid}/ab`, expiresAt: at(60_000) }, UPDATED), 'a live process');
  assert.ok(l.abandoned('s1', { holder: `${hostname()}/${process.ppid}/ab`, expiresAt: at(-1) }, UPDATED), 'a live PID whose lease ran out (reused, or frozen)');
});

test('our own: never while held here; once released (an undo that failed) when expired', () => {
  const l = leases();
  const expired = { holder: l.holder, expiresAt: at(-1) };
  l.hold('s1');
  assert.not.ok(l.abandoned('s1', expired, UPDATED));
  l.release('s1');
  assert.ok(l.abandoned('s1', expired, UPDATED));
  assert.not.ok(l.abandoned('s1', l.fresh(), UPDATED));
});

test('a row in flight without a lease (written before leases): once a lease would have run out since its last update', () => {
  const l = leases();
  assert.not.ok(l.abandoned('s1', undefined, at(-59_000)));
  assert.ok(l.abandoned('s1', undefined, at(-60_000)));
});

test.run();
