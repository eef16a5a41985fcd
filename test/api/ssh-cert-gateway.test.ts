/**
 * End to end over real sockets: `mai serve` (startServer) with Authentik-style OIDC,
 * a browser login through the REST API, a certificate from /auth/ssh-cert, and the
 * real OpenSSH client logging into the gateway with it; after logout both the old
 * token and the certificate are refused.
 */
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../gateway/config/load-yaml.js';
import { serviceConfigSchema } from '../../gateway/config/service-config.js';
import { silentLogger } from '../../gateway/log.js';
import { startServer, type RunningServer } from '../../gateway/server.js';
import { launchBrowser, signInAndConsent, type TestBrowser } from '../helpers/browser.js';
import { IDP_CLIENT_ID, IDP_CLIENT_SECRET, startRedirectCatcher, startTestIdp, type TestIdp } from '../helpers/oidc-provider.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('mai-e2e-auth-');
let idp: TestIdp | null = null;
let catcher: Awaited<ReturnType<typeof startRedirectCatcher>> | null = null;
let server: RunningServer | null = null;
let browser: TestBrowser | null = null;

test.after(async () => {
  await browser?.close().catch(() => undefined);
  await server?.close(0).catch(() => undefined);
  await catcher?.close();
  await idp?.close();
  dir.remove();
});

/** Async on purpose: the gateway runs in this process, and a blocking spawn would starve it. */
function ssh(port: number, key: string, knownHosts: string, ...command: string[]): Promise<{ status: number; stderr: string }> {
  const args = [
    '-F', '/dev/null', '-p', String(port), '-i', key, '-o', `CertificateFile=${key}-cert.pub`, '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=10', 'alice@127.0.0.1', ...command,
  ];
  return new Promise((resolve) => {
    execFile('ssh', args, { encoding: 'utf8', timeout: 30_000 }, (err, _stdout, stderr) => {
      const code = (err as { code?: unknown } | null)?.code;
      resolve({ status: err ? (typeof code === 'number' ? code : -1) : 0, stderr });
    });
  });
}

test('a certificate from /auth/ssh-cert logs into the gateway; after logout it and the token are refused', async () => {
  catcher = await startRedirectCatcher();
  idp = await startTestIdp({ redirectUris: [catcher.uri] });
  const config = validateConfig(
    serviceConfigSchema,
    {
      server: { host: '127.0.0.1' },
      ssh: { host: '127.0.0.1' },
      auth: { provider: 'oidc', issuer: idp.issuer, clientId: IDP_CLIENT_ID, clientSecret: IDP_CLIENT_SECRET, allowInsecureRequests: true },
    },
    'test',
    {},
  );
  server = await startServer({ config, dataDir: join(dir.path, 'data'), sshPort: 0, httpPort: 0, log: silentLogger });
  const api = `http://127.0.0.1:${server.httpPort}`;
  const post = async (path: string, body: unknown, token?: string) => {
    const res = await fetch(`${api}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: res.status === 204 ? null : await res.json() };
  };

  const start = await post('/auth/login', { redirectUri: catcher.uri });
  assert.is(start.status, 200, JSON.stringify(start.body));
  browser = await launchBrowser();
  const page = await browser.page();
  await page.goto(start.body.authorizationUrl);
  await signInAndConsent(page, 'alice');
  const tokens = await post('/auth/callback', { ...(await catcher.next()), binding: start.body.binding });
  assert.is(tokens.status, 200, JSON.stringify(tokens.body));
  const token = tokens.body.accessToken as string;

  const key = join(dir.path, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const cert = await post('/auth/ssh-cert', { publicKey: readFileSync(`${key}.pub`, 'utf8') }, token);
  assert.is(cert.status, 200, JSON.stringify(cert.body));
  writeFileSync(`${key}-cert.pub`, `${cert.body.certificate}\n`, { mode: 0o600 });
  const knownHosts = join(dir.path, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${server.sshPort} ${server.hostKeyLine}\n`);

  const before = await ssh(server.sshPort, key, knownHosts, 'ls');
  assert.is(before.status, 0, `ssh ls before logout: ${before.stderr}`);

  assert.is((await post('/auth/logout', {}, token)).status, 204);
  const after = await ssh(server.sshPort, key, knownHosts, 'ls');
  assert.is.not(after.status, 0, 'the revoked certificate must be refused');
  assert.match(after.stderr, /Permission denied/);
  const stale = await fetch(`${api}/sessions`, { headers: { authorization: `Bearer ${token}` } });
  assert.is(stale.status, 401);
});

test.run();
