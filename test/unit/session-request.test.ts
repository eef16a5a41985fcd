import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newSessionId, SESSION_ID } from '../../gateway/domain/ids.js';
import { parseEnvAssignment, parsePort, parseVolume, validateCreateRequest } from '../../gateway/domain/session-request.js';
import { thrownBy } from '../helpers/errors.js';

function inputError(fn: () => unknown): string {
  const error = thrownBy(fn);
  assert.is(error.code, 'INPUT_INVALID');
  return error.message;
}

test('-e KEY=VALUE keeps everything after the first =', () => {
  assert.equal(parseEnvAssignment('FOO=bar'), ['FOO', 'bar']);
  assert.equal(parseEnvAssignment('URL=a=b'), ['URL', 'a=b']);
  assert.equal(parseEnvAssignment('EMPTY='), ['EMPTY', '']);
});

test('malformed -e is refused naming the key, never the value', () => {
  assert.match(inputError(() => parseEnvAssignment('FOO')), '"FOO"');
  assert.match(inputError(() => parseEnvAssignment('1X=2')), '"1X"');
  assert.match(inputError(() => parseEnvAssignment('A-B=c')), '"A-B"');
  for (const bad of ['=hunter2-secret', '1X=hunter2-secret', 'MY KEY=hunter2-secret', 'A-B=hunter2-secret']) {
    assert.not.match(inputError(() => parseEnvAssignment(bad)), 'hunter2');
  }
});

test('-v SOURCE:TARGET[:ro]', () => {
  assert.equal(parseVolume('/src:/dst'), { source: '/src', target: '/dst', readOnly: false });
  assert.equal(parseVolume('cache:/cache:ro'), { source: 'cache', target: '/cache', readOnly: true });
  for (const bad of ['/src', '/a:/b:x', ':/b', '/a:/b:ro:z']) inputError(() => parseVolume(bad));
});

test('--port N and HOST:CONTAINER within 1..65535', () => {
  assert.equal(parsePort('8080'), { container: 8080, host: 8080 });
  assert.equal(parsePort('9000:80'), { container: 80, host: 9000 });
  for (const bad of ['0', '70000', 'abc', '1:2:3', '-1', '']) inputError(() => parsePort(bad));
});

test('requests: reserved names, bad names, relative volumes, MAI_ variables refused', () => {
  assert.match(inputError(() => validateCreateRequest({ name: 'ls' })), 'name');
  inputError(() => validateCreateRequest({ name: 'has space' }));
  inputError(() => validateCreateRequest({ name: '-dash' }));
  inputError(() => validateCreateRequest({ volumes: [{ source: 'rel/path', target: '/x' }] }));
  inputError(() => validateCreateRequest({ volumes: [{ source: '/x', target: 'rel' }] }));
  assert.match(inputError(() => validateCreateRequest({ env: { MAI_SESSION_ID: 'x' } })), 'env');
  inputError(() => validateCreateRequest({ limits: { memoryMb: 1 } }));
  inputError(() => validateCreateRequest({ surprise: true }));
});

test('a valid request gets defaults', () => {
  const valid = validateCreateRequest({ env: { FOO: 'bar' } });
  assert.equal(valid.env, { FOO: 'bar' });
  assert.equal(valid.volumes, []);
  assert.equal(valid.ports, []);
});

test('session ids are short, lowercase and URL-safe', () => {
  const ids = new Set(Array.from({ length: 2000 }, newSessionId));
  assert.is(ids.size, 2000);
  for (const id of ids) {
    assert.ok(SESSION_ID.test(id), id);
    assert.is(encodeURIComponent(id), id);
  }
});

test.run();
