import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SessionRecord } from '../../gateway/domain/types.js';
import { SESSION_COLUMNS, sessionFromRow, sessionParams } from '../../gateway/store/session-rows.js';
import { thrownBy } from '../helpers/errors.js';

/** A session row read back from the store is what was written, and a row that does not fit is STORE_FAILED. */
const record: SessionRecord = {
  id: 'abcdefgh23',
  name: 'work',
  owner: 'alice',
  driver: 'base',
  image: 'mai/base:latest',
  status: 'running',
  containerId: 'c0ffee',
  projectUrl: null,
  spec: { envKeys: ['A'], volumes: [{ source: 'v', target: '/w', readOnly: false }], ports: [{ container: 80 }], limits: { cpus: 2, memoryMb: 4096, pids: 1024 }, egress: 'open' },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:01.000Z',
  lastActiveAt: '2026-01-01T00:00:02.000Z',
};

/** The row a database hands back for `record`: the columns by name. */
function rowOf(session: SessionRecord): Record<string, unknown> {
  const values = sessionParams(session);
  return Object.fromEntries(SESSION_COLUMNS.split(', ').map((column, i) => [column, values[i]]));
}

test('a row reads back as the record written, each read its own object', () => {
  const first = sessionFromRow(rowOf(record));
  assert.equal(first, record);
  // The second read of the same spec text skips the schema; it must still hand out a fresh object.
  const second = sessionFromRow(rowOf(record));
  assert.equal(second, record);
  second.spec.envKeys.push('B');
  assert.equal(sessionFromRow(rowOf(record)).spec.envKeys, ['A']);
});

test('a column of the wrong type, a NULL where none may be, or an unknown status is refused, naming the column', () => {
  for (const [column, value] of [
    ['name', 42],
    ['owner', null],
    ['status', 'exploded'],
    ['lease_holder', undefined],
  ] as const) {
    const err = thrownBy(() => sessionFromRow({ ...rowOf(record), [column]: value }));
    assert.is(err.code, 'STORE_FAILED');
    assert.match(err.message, `column ${column}`);
  }
});

test('a spec that does not fit is refused, read once or many times; keys it does not know are dropped', () => {
  const row = rowOf(record);
  const badSpec = { ...row, spec: JSON.stringify({ ...record.spec, limits: { cpus: 'two' } }) };
  for (let i = 0; i < 2; i++) assert.is(thrownBy(() => sessionFromRow(badSpec)).code, 'STORE_FAILED');
  assert.is(thrownBy(() => sessionFromRow({ ...row, spec: '{not json' })).code, 'STORE_FAILED');
  const extra = { ...row, spec: JSON.stringify({ ...record.spec, injected: 'x' }) };
  for (let i = 0; i < 2; i++) assert.equal(sessionFromRow(extra).spec, record.spec);
});

test.run();
