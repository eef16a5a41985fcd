import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../gateway/config/load-yaml.js';
import { loadServiceConfig, serviceConfigSchema } from '../../gateway/config/service-config.js';
import { thrownBy } from '../helpers/errors.js';

/** The file deploy/docker-compose.yml mounts: the one shipped example. */
const SHIPPED = fileURLToPath(new URL('../../deploy/mai-service.yaml', import.meta.url));
const TOKEN = 'a-token-of-the-first-admin';
const validate = (yaml: object) => validateConfig(serviceConfigSchema, yaml, 'mai-service.yaml', {});
const section = (server: Record<string, unknown>) => validateConfig(serviceConfigSchema, { server }, 'mai-service.yaml', {}).server;

test('no file: the embedded defaults (ssh 2222, http 3000, local auth, SQLite, no TLS setting, no proxy trusted)', () => {
  const config = loadServiceConfig(undefined, {});
  assert.is(config.ssh.port, 2222);
  assert.is(config.server.port, 3000);
  assert.is(config.auth.provider, 'local');
  assert.is(config.database.url, undefined);
  assert.ok(config.ssh.envAllow.includes('LC_*'));
  assert.is(config.server.tls, undefined);
  assert.is(config.server.trustProxy, false);
  assert.equal(config.auth.admins, []);
  assert.is(config.logging.audit, 'stdout');
});

test('the shipped config, with only the first admin token set: a local admin, SQLite, self-signed HTTPS', () => {
  const config = loadServiceConfig(SHIPPED, { MAI_ADMIN_TOKEN: TOKEN });
  assert.equal(config.auth.users, [{ name: 'admin', token: TOKEN, admin: false }]);
  assert.equal(config.auth.admins, ['admin']);
  assert.is(config.database.url, '', 'empty: SQLite in the data dir');
  assert.is(config.server.tls, undefined);
  assert.is(config.server.host, '0.0.0.0');
  assert.is(config.ssh.publicHost, undefined);
  assert.is(config.ssh.publicPort, undefined);
  assert.is(config.docker.network, 'mai');
  assert.is(config.auth.maxCertificateTtl, 8 * 3600);
  assert.equal(config.sessions.recording, { enabled: true, input: false, maxSize: 50 * 1024 ** 2, retention: 30 * 86400 });
  assert.is(config.sessions.idleTimeout, undefined);
  assert.is(config.server.metricsToken, undefined, 'MAI_METRICS_TOKEN unset: /metrics open');
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
  const set = validate({ sessions: { idleTimeout: '8h', idleAction: 'close', maxLifetime: '7d', warnBefore: '10m', recording: { input: true, maxSize: '512KB' } } });
  assert.equal(
    [set.sessions.idleTimeout, set.sessions.idleAction, set.sessions.maxLifetime, set.sessions.warnBefore, set.sessions.recording.input, set.sessions.recording.maxSize],
    [8 * 3600, 'close', 7 * 86400, 600, true, 512 * 1024],
  );
});

test('the shipped config takes what the compose file passes: names, published port, database', () => {
  const config = loadServiceConfig(SHIPPED, {
    MAI_ADMIN: 'dana',
    MAI_ADMIN_TOKEN: TOKEN,
    MAI_PUBLIC_HOST: 'mai.example.com',
    MAI_SSH_PORT: '2022',
    MAI_SESSION_NETWORK: 'team',
    MAI_DATABASE_URL: 'postgres://mai:pw@postgres:5432/mai',
  });
  assert.equal(config.auth.admins, ['dana']);
  assert.is(config.auth.users[0]?.name, 'dana');
  assert.is(config.ssh.publicHost, 'mai.example.com');
  assert.is(config.ssh.publicPort, 2022, 'digits from the environment are a port');
  assert.is(config.docker.network, 'team');
  assert.is(config.database.url, 'postgres://mai:pw@postgres:5432/mai');
});

test('without the admin token the shipped config stops the server, naming the field', () => {
  const err = thrownBy(() => loadServiceConfig(SHIPPED, {}));
  assert.is(err.code, 'CONFIG_INVALID');
  assert.match(err.message, 'auth.users.0.token: must be at least 16 characters');
});

test('server.tls is PEM files or false; trustProxy a switch or addresses; admins are user names', () => {
  assert.equal(section({ tls: { cert: '/c.pem', key: '/k.pem' } }).tls, { cert: '/c.pem', key: '/k.pem' });
  assert.is(section({ tls: false }).tls, false);
  assert.match(thrownBy(() => section({ tls: true })).message, /^mai-service.yaml: server\.tls/);
  assert.match(thrownBy(() => section({ tls: { cert: '/c.pem' } })).message, /server\.tls/);
  assert.equal(section({ trustProxy: ['10.0.0.0/8', '127.0.0.1'] }).trustProxy, ['10.0.0.0/8', '127.0.0.1']);
  assert.is(section({ trustProxy: true }).trustProxy, true);
  assert.match(thrownBy(() => validateConfig(serviceConfigSchema, { auth: { admins: ['Dana'] } }, 'f', {})).message, 'auth.admins.0: must be a lowercase user name');
  assert.match(thrownBy(() => validateConfig(serviceConfigSchema, { ssh: { publicPort: '70000' } }, 'f', {})).message, 'ssh.publicPort');
});

test.run();
