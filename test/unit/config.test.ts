import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cliConfigSchema, loadCliConfig, resolvePaths } from '../../cli/cli-config.js';
import { loadYamlConfig } from '../../gateway/config/load-yaml.js';
import { tempDir } from '../helpers/tmp.js';
import { thrownBy } from '../helpers/errors.js';

const dir = tempDir();
test.after(() => dir.remove());

function write(name: string, text: string): string {
  const file = join(dir.path, name);
  writeFileSync(file, text);
  return file;
}


test('a missing optional CLI config yields the defaults', () => {
  const config = loadCliConfig({ MAI_CONFIG_DIR: join(dir.path, 'nowhere') });
  assert.is(config.defaultDriver, 'base');
  assert.is(config.docker.socket, '/var/run/docker.sock');
});

test('values are read, ${ENV} interpolated, and frozen', () => {
  const file = write('ok.yaml', 'defaultDriver: ${DRV}\ndocker:\n  socket: ${SOCK:-/run/docker.sock}\n');
  const config = loadYamlConfig(cliConfigSchema, file, { DRV: 'aider' });
  assert.is(config.defaultDriver, 'aider');
  assert.is(config.docker.socket, '/run/docker.sock');
  assert.ok(Object.isFrozen(config.docker));
});

test('a wrong type names the file and the dotted path', () => {
  const file = write('bad-type.yaml', 'docker:\n  socket: 12\n');
  const err = thrownBy(() => loadYamlConfig(cliConfigSchema, file, {}));
  assert.is(err.code, 'CONFIG_INVALID');
  assert.match(err.message, `${file}: docker.socket:`);
});

test('an unknown key is refused (typos do not pass silently)', () => {
  const file = write('typo.yaml', 'defaultDrivr: base\n');
  const err = thrownBy(() => loadYamlConfig(cliConfigSchema, file, {}));
  assert.match(err.message, /defaultDrivr/);
});

test('invalid YAML gives the line, not a stack', () => {
  const file = write('syntax.yaml', 'docker:\n  socket: [unclosed\n');
  const err = thrownBy(() => loadYamlConfig(cliConfigSchema, file, {}));
  assert.is(err.code, 'CONFIG_INVALID');
  assert.match(err.message, /invalid YAML/);
  assert.not.match(err.message, /\n/);
});

test('an unset variable without default is an error at its path', () => {
  const file = write('env.yaml', 'drivers:\n  - ${NOPE}\n');
  const err = thrownBy(() => loadYamlConfig(cliConfigSchema, file, {}));
  assert.match(err.message, 'drivers.0: environment variable NOPE is not set');
});

test('interpolation cannot inject structure', () => {
  const file = write('inject.yaml', 'defaultDriver: ${V}\n');
  const config = loadYamlConfig(cliConfigSchema, file, { V: 'x\ndocker: {socket: /evil}' });
  assert.is(config.docker.socket, '/var/run/docker.sock');
});

test('a required file that is missing is CONFIG_NOT_FOUND', () => {
  const err = thrownBy(() => loadYamlConfig(cliConfigSchema, join(dir.path, 'absent.yaml'), {}));
  assert.is(err.code, 'CONFIG_NOT_FOUND');
});

test('data dir: flag beats MAI_DATA_DIR beats XDG default', () => {
  const env = { HOME: '/home/u', MAI_DATA_DIR: '/d/env' };
  assert.is(resolvePaths(env, null, '/d/flag').dataDir, '/d/flag');
  assert.is(resolvePaths(env, null).dataDir, '/d/env');
  assert.is(resolvePaths({ HOME: '/home/u' }, null).dataDir, '/home/u/.local/share/mai');
  assert.is(resolvePaths({ HOME: '/home/u', MAI_CONFIG_DIR: '/c' }, null).configFile, '/c/config.yaml');
});

test.run();
