import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tmpdir } from 'node:os';
import { MaiError } from '../../gateway/errors.js';
import { openStore } from '../../gateway/store/open-store.js';
import { MIGRATIONS } from '../../gateway/store/migrations.js';

async function openError(databaseUrl: string): Promise<MaiError> {
  try {
    await (await openStore({ databaseUrl, dataDir: tmpdir() })).close();
  } catch (err) {
    assert.instance(err, MaiError);
    return err as MaiError;
  }
  assert.unreachable('open should fail');
  throw new Error('unreachable');
}

test('an unsupported scheme is CONFIG_INVALID and does not echo the password', async () => {
  const err = await openError('mysql://root:Hunter2@db/mai');
  assert.is(err.code, 'CONFIG_INVALID');
  assert.match(err.message, '"mysql:"');
  assert.not.match(err.message, 'Hunter2');
});

test('a URL that does not parse is CONFIG_INVALID', async () => {
  const err = await openError('not a url :// Hunter2');
  assert.is(err.code, 'CONFIG_INVALID');
  assert.not.match(err.message, 'Hunter2');
});

test('migration ids are 1..n in order, each with a name and statements', () => {
  MIGRATIONS.forEach((m, i) => {
    assert.is(m.id, i + 1, `migration at index ${i}`);
    assert.ok(m.name.length > 0);
    assert.ok(m.statements.length > 0);
  });
});

test.run();
