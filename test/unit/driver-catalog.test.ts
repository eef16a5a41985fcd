import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DriverCatalog, readDriver } from '../../gateway/domain/driver-catalog.js';
import { packageRoot } from '../../drivers/package-root.js';
import { MaiError } from '../../gateway/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { thrownBy } from '../helpers/errors.js';

const dir = tempDir();
test.after(() => dir.remove());

function driverDir(name: string, manifest: string, dockerfile = 'FROM mai/base:latest\n'): string {
  const path = join(dir.path, name);
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'mai-driver.yaml'), manifest);
  writeFileSync(join(path, 'Dockerfile'), dockerfile);
  return path;
}

test('built-in drivers load and base is among them', () => {
  const catalog = new DriverCatalog(join(packageRoot(), 'drivers'));
  const base = catalog.get('base');
  assert.is(base.image, 'mai/base:latest');
  assert.equal(base.manifest.attach, ['mai-attach']);
  assert.is(catalog.parentOf(base), null);
});

test('the spec example manifest validates, with defaults filled in', () => {
  const path = driverDir(
    'goose-like',
    `name: goose-like
description: Goose with MCP servers
version: 1.0.0
maintainer: team@monadical.com
init:
  pre_command: /mai-init.sh
  command: /entrypoint.sh
environment:
  - name: MCP_HOST
    description: MCP server host
    required: true
    default: http://localhost:8000
  - name: MAI_GIT_TOKEN
    description: Token for Git authentication
    required: false
    sensitive: true
ports:
  - 8000
  - 22
volumes:
  - mountPath: /app
    description: Application directory
`,
  );
  const driver = readDriver(path);
  assert.is(driver.image, 'mai/goose-like:latest');
  assert.is(driver.manifest.environment[1]?.sensitive, true);
  assert.equal(driver.manifest.ports, [8000, 22]);
});

test('an invalid manifest is DRIVER_INVALID naming file and field', () => {
  const path = driverDir('bad', 'name: bad\nports: [99999]\n');
  const err = thrownBy(() => readDriver(path));
  assert.is(err.code, 'DRIVER_INVALID');
  assert.match(err.message, 'mai-driver.yaml: ports.0');
});

test('unknown driver lists the known ones', () => {
  const catalog = new DriverCatalog(join(packageRoot(), 'drivers'));
  const err = thrownBy(() => catalog.get('nope'));
  assert.is(err.code, 'DRIVER_NOT_FOUND');
  assert.match(err.message, 'base');
});

test('custom driver folders join the catalog; their parent is found from FROM', () => {
  const path = driverDir('mine', 'name: mine\n');
  const catalog = new DriverCatalog(join(packageRoot(), 'drivers'), [path]);
  const mine = catalog.get('mine');
  assert.is(catalog.parentOf(mine)?.manifest.name, 'base');
  assert.is(catalog.resolve(path).manifest.name, 'mine');
  // By name only where folders are not allowed (a server): a path is just an unknown name.
  assert.is(thrownBy(() => catalog.get(path)).code, 'DRIVER_NOT_FOUND');
});

test.run();
