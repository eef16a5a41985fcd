import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadServiceConfig } from '../../gateway/config/service-config.js';
import { MaiError } from '../../gateway/errors.js';
import { thrownBy } from '../helpers/errors.js';

const EXAMPLE = fileURLToPath(new URL('../../deploy/mai-service.example.yaml', import.meta.url));

test('no file: the embedded defaults (ssh 2222, http 3000, local auth, SQLite)', () => {
  const config = loadServiceConfig(undefined, {});
  assert.is(config.ssh.port, 2222);
  assert.is(config.server.port, 3000);
  assert.is(config.auth.provider, 'local');
  assert.is(config.database.url, undefined);
  assert.ok(config.ssh.envAllow.includes('LC_*'));
});

test('the shipped example validates, with ${ENV} filled in', () => {
  const config = loadServiceConfig(EXAMPLE, { MAI_OIDC_CLIENT_SECRET: 's3cret', PROJECT_ENCRYPTION_KEY: 'k' });
  assert.is(config.ssh.publicHost, 'mai.example.com');
  assert.is(config.auth.clientSecret, 's3cret');
  assert.is(config.auth.maxCertificateTtl, 8 * 3600);
});

test('the example needs its secrets from the environment, and says which', () => {
  const err = thrownBy(() => loadServiceConfig(EXAMPLE, {}));
  assert.match(err.message, 'auth.clientSecret: environment variable MAI_OIDC_CLIENT_SECRET is not set');
});

test.run();
