/**
 * The settings a team server is deployed with, on the server as `mai serve` assembles
 * it: the first admin (`auth.admins`), the proxy it trusts (`server.trustProxy`), and
 * HTTPS (`server.tls`, or a self-signed certificate made once and kept).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../gateway/config/load-yaml.js';
import { serviceConfigSchema } from '../../gateway/config/service-config.js';
import { silentLogger } from '../../gateway/log.js';
import { assembleServer, type AssembledServer } from '../../gateway/server.js';
import { loadServerTls, TLS_CERT_FILE, TLS_KEY_FILE } from '../../gateway/server-tls.js';
import { StoreUserDirectory } from '../../gateway/users/store-directory.js';
import { generateSelfSignedCertificate } from '../../keys/index.js';
import { bearer } from './api-fixture.js';
import { rejectedBy } from '../helpers/errors.js';
import { tempDir } from '../helpers/tmp.js';

const DANA = 'dana-token-0123456789';
const ERIN = 'erin-token-0123456789';
const dir = tempDir('mai-team-settings-');
const opened: AssembledServer[] = [];

function config(extra: { server?: Record<string, unknown>; auth?: Record<string, unknown> } = {}) {
  return validateConfig(
    serviceConfigSchema,
    {
      server: { host: '127.0.0.1', ...extra.server },
      auth: { users: [{ name: 'dana', token: DANA }, { name: 'erin', token: ERIN }], admins: ['dana', 'gail'], rateLimit: { max: 1000 }, ...extra.auth },
      docker: { network: 'mai-test' },
      logging: { audit: join(dir.path, 'audit.log') },
    },
    'test',
    {},
  );
}

async function assemble(name: string, extra: Parameters<typeof config>[0] = {}): Promise<AssembledServer> {
  const server = await assembleServer({ config: config(extra), dataDir: join(dir.path, name), log: silentLogger });
  opened.push(server);
  return server;
}

test.after(async () => {
  for (const server of opened) await server.close(0);
  dir.remove();
});

test('auth.admins: a local user or an OIDC login of that name is an admin, on REST and to the SSH gateway', async () => {
  const server = await assemble('admins');
  const me = async (token: string) => (await server.api.inject({ method: 'GET', url: '/auth/me', headers: bearer(token) })).json();
  assert.equal(await me(DANA), { user: 'dana', admin: true });
  assert.equal(await me(ERIN), { user: 'erin', admin: false });
  const users = new StoreUserDirectory(server.config, server.store.auth);
  assert.is(await users.isAdmin('dana'), true);
  assert.is(await users.isAdmin('erin'), false);
  // An identity provider that does not put gail (named in auth.admins) in its admin group does not demote her.
  const login = await server.auth.createLogin({ subject: 'sub-gail', name: 'gail', admin: false, refreshToken: null });
  assert.is(login.admin, true);
  assert.equal(await me(login.accessToken), { user: 'gail', admin: true });
  assert.is(await users.isAdmin('gail'), true);
});

test('server.trustProxy: X-Forwarded-For picks the rate-limit bucket only when the proxy is trusted', async () => {
  const hits = async (server: AssembledServer) => {
    const statuses = [];
    for (const client of ['203.0.113.1', '203.0.113.1', '203.0.113.2']) {
      // A route before login, counted per client address (after login the count is per user).
      const res = await server.api.inject({
        method: 'POST',
        url: '/auth/refresh',
        payload: { refreshToken: 'mai_rt_unknown' },
        headers: { 'x-forwarded-for': client },
        remoteAddress: '127.0.0.1',
      });
      statuses.push(res.statusCode);
    }
    return statuses;
  };
  const limit = { rateLimit: { max: 2 } };
  assert.equal(await hits(await assemble('untrusted', { auth: limit })), [401, 401, 429], 'off: every client behind the proxy shares its bucket');
  assert.equal(await hits(await assemble('trusted', { auth: limit, server: { trustProxy: ['127.0.0.1'] } })), [401, 401, 401]);
});

test('server.tls: a self-signed certificate for a non-loopback address, made once and kept; HTTPS with it', async () => {
  const server = await assemble('self-signed', { server: { host: '0.0.0.0' } });
  const tls = server.tls!;
  assert.ok(tls.selfSigned);
  const dataDir = join(dir.path, 'self-signed');
  assert.is(readFileSync(join(dataDir, TLS_CERT_FILE), 'utf8'), tls.certPem);
  assert.is(statSync(join(dataDir, TLS_KEY_FILE)).mode & 0o777, 0o600);
  assert.match(new X509Certificate(tls.certPem).subjectAltName ?? '', 'IP Address:127.0.0.1');
  const again = await loadServerTls(server.config, dataDir, () => assert.unreachable('made a second certificate'));
  assert.is(again?.fingerprint, tls.fingerprint);

  const running = await server.listen({ sshPort: 0, httpPort: 0 });
  const body = await new Promise<string>((resolve, reject) => {
    get({ host: '127.0.0.1', port: running.httpPort, path: '/healthz', ca: tls.certPem }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve(text));
    }).on('error', reject);
  });
  assert.is(body, '{"status":"ok"}');
});

test('server.tls: none on loopback or with false; configured files are served, a mismatched pair stops the server', async () => {
  const dataDir = join(dir.path, 'tls-unit');
  const never = () => assert.unreachable('no certificate should be made');
  assert.is(await loadServerTls(config(), dataDir, never), null, 'loopback: plain HTTP');
  assert.is(await loadServerTls(config({ server: { host: '0.0.0.0', tls: false } }), dataDir, never), null);

  const a = await generateSelfSignedCertificate({ commonName: 'a', altNames: ['localhost'], days: 1 });
  const b = await generateSelfSignedCertificate({ commonName: 'b', altNames: ['localhost'], days: 1 });
  writeFileSync(join(dir.path, 'a.crt'), a.certPem);
  writeFileSync(join(dir.path, 'a.key'), a.keyPem);
  writeFileSync(join(dir.path, 'b.key'), b.keyPem);
  const files = (key: string) => config({ server: { tls: { cert: join(dir.path, 'a.crt'), key: join(dir.path, key) } } });
  const configured = await loadServerTls(files('a.key'), dataDir, never);
  assert.is(configured?.selfSigned, false);
  assert.is(configured?.certPem, a.certPem);
  const mismatch = await rejectedBy(() => loadServerTls(files('b.key'), dataDir, never));
  assert.is(mismatch.code, 'CONFIG_INVALID');
  assert.match(mismatch.message, /^server\.tls: .*does not belong to the certificate/);
  assert.match((await rejectedBy(() => loadServerTls(files('missing.key'), dataDir, never))).message, /^server\.tls: cannot read .*missing\.key/);
});

test.run();
