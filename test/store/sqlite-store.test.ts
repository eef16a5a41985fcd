import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { open as openSqlite } from 'sqlite';
import sqlite3 from 'sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MaiError } from '../../gateway/errors.js';
import { openStore, SQLITE_FILE_NAME } from '../../gateway/store/open-store.js';
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

test('a database locked by another process past the busy timeout is STORE_UNAVAILABLE (try again), and works once it is free', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'mai-store-'));
  const store = await openStore({ dataDir });
  // Another process (a CLI command mid-write, a backup) holding the write lock.
  const other = await openSqlite({ filename: join(dataDir, SQLITE_FILE_NAME), driver: sqlite3.Database });
  try {
    await other.exec('BEGIN EXCLUSIVE');
    try {
      await store.insertSession(session());
      assert.unreachable('should fail while the lock is held');
    } catch (err) {
      assert.instance(err, MaiError);
      assert.is((err as MaiError).code, 'STORE_UNAVAILABLE');
      assert.is((err as MaiError).httpStatus, 503);
      assert.match((err as MaiError).message, 'SQLite database is not available; try again shortly');
    }
    await other.exec('COMMIT');
    await store.insertSession(session());
    assert.is((await store.listSessions()).length, 1);
  } finally {
    await other.close();
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test.run();
