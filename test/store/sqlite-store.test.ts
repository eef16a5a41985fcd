import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MaiError } from '../../gateway/errors.js';
import { openStore } from '../../gateway/store/open-store.js';
import { defineStoreConformance, session } from './conformance.js';
import { sqliteTarget } from './targets.js';

defineStoreConformance('SQLite', sqliteTarget());

test('SQLite lives at <dataDir>/mai.db in a 0700 directory, in WAL mode', async () => {
  const base = await mkdtemp(join(tmpdir(), 'mai-store-'));
  try {
    const dataDir = join(base, 'nested', 'data');
    const store = await openStore({ dataDir });
    await store.insertSession(session());
    const files = await readdir(dataDir);
    assert.ok(files.includes('mai.db'), files.join(','));
    assert.ok(files.includes('mai.db-wal'), `WAL file expected: ${files.join(',')}`);
    assert.is((await stat(dataDir)).mode & 0o777, 0o700);
    await store.close();
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test('an unusable data dir is STORE_FAILED naming it', async () => {
  const base = await mkdtemp(join(tmpdir(), 'mai-store-'));
  try {
    const file = join(base, 'not-a-dir');
    await writeFile(file, '');
    try {
      await openStore({ dataDir: file });
      assert.unreachable('should fail');
    } catch (err) {
      assert.instance(err, MaiError);
      assert.is((err as MaiError).code, 'STORE_FAILED');
      assert.match((err as MaiError).message, file);
      assert.ok((err as MaiError).cause, 'cause kept');
    }
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test('a file that is not a database is STORE_FAILED', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'mai-store-'));
  try {
    await writeFile(join(dataDir, 'mai.db'), 'definitely not sqlite '.repeat(100));
    try {
      await openStore({ dataDir });
      assert.unreachable('should fail');
    } catch (err) {
      assert.instance(err, MaiError);
      assert.is((err as MaiError).code, 'STORE_FAILED');
      assert.match((err as MaiError).message, 'mai.db');
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test.run();
