import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../gateway/config/load-yaml.js';
import { loadServiceConfig, serviceConfigSchema } from '../../gateway/config/service-config.js';
import { MaiError } from '../../gateway/errors.js';
import { thrownBy } from '../helpers/errors.js';

const validate = (yaml: object) => validateConfig(serviceConfigSchema, yaml, 'mai-service.yaml', {});
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
  assert.equal(
    [config.sessions.idleTimeout, config.sessions.idleAction, config.sessions.maxLifetime, config.sessions.warnBefore],
    [8 * 3600, 'stop', 7 * 86400, 300],
  );
  assert.equal(config.sessions.recording, { enabled: true, input: false, maxSize: 50 * 1024 ** 2, retention: 30 * 86400 });
});

test('sessions and metrics settings: defaults (recording on, no reaping), and errors that name the field', () => {
  const defaults = loadServiceConfig(undefined, {});
  assert.is(defaults.sessions.recording.enabled, true);
  assert.is(defaults.sessions.idleTimeout, undefined);
  assert.is(defaults.server.metricsToken, undefined);
  const bad = (yaml: object, message: string) => {
    const err = thrownBy(() => validate(yaml));
    assert.match(err.message, message);
  };
  bad({ sessions: { idleAction: 'pause' } }, 'sessions.idleAction');
  bad({ sessions: { idleTimeout: '5 minutes' } }, 'sessions.idleTimeout: expected a duration like 30m, 8h or 1d');
  bad({ sessions: { recording: { maxSize: '1TB' } } }, 'sessions.recording.maxSize: expected a size like 512KB, 50MB or 2GB');
  bad({ server: { metricsListen: '9464' } }, 'server.metricsListen: expected HOST:PORT');
  bad({ server: { metricsToken: 'short' } }, 'server.metricsToken: must be at least 16 characters');
});

test('the example needs its secrets from the environment, and says which', () => {
  const err = thrownBy(() => loadServiceConfig(EXAMPLE, {}));
  assert.match(err.message, 'auth.clientSecret: environment variable MAI_OIDC_CLIENT_SECRET is not set');
});

test.run();
