import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tmpdir } from 'node:os';
import { MaiError } from '../../gateway/errors.js';
import { openStore } from '../../gateway/store/open-store.js';
import { MIGRATIONS } from '../../gateway/store/migrations.js';
import { defineStoreConformance } from './conformance.js';
import { PG_URL, dropSchemas, freshSchemaName, pgQuery, pgTarget, redacted } from './targets.js';

// First, so an unreachable server is one clear failure at the top; every test below
// then fails too (each opens a store), never skips.
test('PostgreSQL is reachable', async () => {
  try {
    await pgQuery('SELECT 1');
  } catch (err) {
    assert.unreachable(
      `PostgreSQL is unreachable at ${redacted(PG_URL)} (${(err as Error).message}); ` +
        'start it or point MAI_TEST_DATABASE_URL at one. These tests never skip.',
    );
  }
});
test.run();

defineStoreConformance('PostgreSQL', pgTarget());

async function openError(options: Parameters<typeof openStore>[0]): Promise<MaiError> {
  try {
    const store = await openStore(options);
    await store.close();
  } catch (err) {
    assert.instance(err, MaiError);
    return err as MaiError;
  }
  assert.unreachable('open should fail');
  throw new Error('unreachable');
}

const pgOnly = (name: string, fn: (schemas: string[]) => Promise<void>) =>
  test(name, async () => {
    const schemas: string[] = [];
    try {
      await fn(schemas);
    } finally {
      await dropSchemas(schemas);
    }
  });

pgOnly('tables land in the requested schema, with every migration recorded', async (schemas) => {
  const schema = freshSchemaName();
  schemas.push(schema);
  const store = await openStore({ databaseUrl: PG_URL, dataDir: tmpdir(), schema });
  await store.close();
  const tables = await pgQuery<{ table_name: string }>(
    'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
    [schema],
  );
  assert.equal(tables.map((t) => t.table_name), ['auth_certificates', 'auth_identities', 'auth_logins', 'auth_pending', 'auth_tokens', 'auth_users', 'mai_meta', 'mai_migrations', 'projects', 'sessions', 'tool_settings']);
  const recorded = await pgQuery<{ id: number }>(`SELECT id FROM ${schema}.mai_migrations ORDER BY id`);
  assert.equal(recorded.map((r) => r.id), MIGRATIONS.map((m) => m.id));
});

pgOnly('no advisory lock is left behind after migrating', async (schemas) => {
  const schema = freshSchemaName();
  schemas.push(schema);
  const store = await openStore({ databaseUrl: PG_URL, dataDir: tmpdir(), schema });
  const locks = await pgQuery(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = $1`, [0x6d6169]);
  await store.close();
  assert.is(locks.length, 0);
});

pgOnly('a database with a migration this build does not know is refused', async (schemas) => {
  const schema = freshSchemaName();
  schemas.push(schema);
  const store = await openStore({ databaseUrl: PG_URL, dataDir: tmpdir(), schema });
  await store.close();
  await pgQuery(`INSERT INTO ${schema}.mai_migrations (id, name, applied_at) VALUES (999, 'future', 'x')`);
  const err = await openError({ databaseUrl: PG_URL, dataDir: tmpdir(), schema });
  assert.is(err.code, 'STORE_FAILED');
  assert.match(err.message, 'migration 999');
});

test('a wrong password is STORE_FAILED naming the target, not the password', async () => {
  const url = new URL(PG_URL);
  url.password = 'Wr0ng-Sekrit';
  const err = await openError({ databaseUrl: url.toString(), dataDir: tmpdir() });
  assert.is(err.code, 'STORE_FAILED');
  assert.match(err.message, `${url.hostname}:`);
  assert.not.match(err.message, 'Wr0ng-Sekrit');
  assert.not.match(err.message, '\n');
  assert.ok(err.cause, 'cause kept');
});

test('an unreachable server is STORE_FAILED, without the password', async () => {
  const err = await openError({ databaseUrl: 'postgresql://mai:Sekrit-42@127.0.0.1:1/mai_test', dataDir: tmpdir() });
  assert.is(err.code, 'STORE_FAILED');
  assert.match(err.message, 'cannot connect to PostgreSQL mai@127.0.0.1:1/mai_test');
  assert.not.match(err.message, 'Sekrit-42');
  assert.ok(err.cause, 'cause kept');
});

test('an invalid schema name is CONFIG_INVALID', async () => {
  const err = await openError({ databaseUrl: PG_URL, dataDir: tmpdir(), schema: 'x; DROP TABLE y' });
  assert.is(err.code, 'CONFIG_INVALID');
});

test.run();
