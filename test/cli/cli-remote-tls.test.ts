/**
 * The built CLI against `mai serve` over HTTPS: a self-signed server pinned by the
 * fingerprint it prints, a server with a certificate from a private CA (`--ca-cert`,
 * made with openssl), an impostor that must not see a single request, and plain
 * http:// refused unless it stays on this machine or the user says `--insecure`.
 * Logins use a local token (`auth --token-stdin`), as a team without an IdP does.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../gateway/config/load-yaml.js';
import { serviceConfigSchema } from '../../gateway/config/service-config.js';
import { silentLogger } from '../../gateway/log.js';
import { startServer, type RunningServer } from '../../gateway/server.js';
import { generateSelfSignedCertificate } from '../../keys/index.js';
import { CliHome } from '../helpers/cli.js';
import { run } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

const TOKEN = 'gina-token-0123456789';
const dir = tempDir('mai-cli-tls-');
const home = new CliHome();
const servers: RunningServer[] = [];
let impostor: Server | null = null;

async function serve(name: string, server: Record<string, unknown>): Promise<RunningServer> {
  const config = validateConfig(
    serviceConfigSchema,
    { server, auth: { users: [{ name: 'gina', token: TOKEN }] }, docker: { network: 'mai-test' }, logging: { audit: join(dir.path, `${name}.audit`) } },
    'test',
    {},
  );
  const running = await startServer({ config, dataDir: join(dir.path, name), sshPort: 0, httpPort: 0, log: silentLogger });
  servers.push(running);
  return running;
}

async function openssl(args: string[]): Promise<void> {
  const r = await run('openssl', args, { cwd: dir.path });
  assert.is(r.code, 0, r.stderr);
}

test.after(async () => {
  for (const server of servers) await server.close(0);
  impostor?.close();
  home.remove();
  dir.remove();
});

const login = (remote: string) => home.mai(['-r', remote, 'auth', '--token-stdin'], { input: `${TOKEN}\n` });

function refused(r: { code: number | null; stderr: string }, code: string, exit: number, text: string): void {
  assert.is(r.code, exit, r.stderr);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, `[${code}]`);
  assert.match(r.stderr, text);
}

test('remote add: plain http:// only to this machine or with --insecure; pins only for https, well-formed, one kind', async () => {
  refused(await home.mai(['remote', 'add', 'far', 'http://192.0.2.10:3000']), 'INPUT_INVALID', 2, 'would send tokens in clear');
  assert.is((await home.mai(['remote', 'add', 'near', 'http://127.0.0.1:9'])).code, 0);
  assert.is((await home.mai(['remote', 'add', 'far', 'http://192.0.2.10:3000', '--insecure'])).code, 0);
  refused(await home.mai(['remote', 'add', 'x', 'https://192.0.2.10', '--fingerprint', 'SHA256:AB:CD']), 'INPUT_INVALID', 2, 'expected SHA256: and 32 hex bytes');
  refused(await home.mai(['remote', 'add', 'x', 'http://127.0.0.1:9', '--fingerprint', `SHA256:${'AB:'.repeat(31)}AB`]), 'INPUT_INVALID', 2, 'for https:// remotes');
  refused(await home.mai(['remote', 'add', 'x', 'https://192.0.2.10', '--fingerprint', `${'ab'.repeat(32)}`, '--ca-cert', 'ca.pem']), 'INPUT_INVALID', 2, 'not both');

  // A config edited by hand gets the same rule at use, before any connection.
  const edited = new CliHome('remotes:\n  far:\n    url: http://192.0.2.10:3000\n');
  try {
    refused(await edited.mai(['-r', 'far', 'auth', '--token-stdin'], { input: TOKEN }), 'CONFIG_INVALID', 78, 'plain http:// to another machine');
  } finally {
    edited.remove();
  }
});

test('a self-signed server: unpinned it is refused; pinned by its fingerprint, a token logs in and ssh is set up', async () => {
  const server = await serve('self-signed', { host: '0.0.0.0' });
  const url = `https://127.0.0.1:${server.httpPort}`;
  assert.ok(server.tls?.selfSigned);
  assert.is((await home.mai(['remote', 'add', 'unpinned', url])).code, 0);
  refused(await login('unpinned'), 'REMOTE_UNTRUSTED', 76, 'DEPTH_ZERO_SELF_SIGNED_CERT');

  // Typed as openssl prints it, without the prefix: stored normalized.
  const typed = server.tls!.fingerprint.replace(/^SHA256:/, '').toLowerCase();
  assert.is((await home.mai(['remote', 'add', 'pinned', url, '--fingerprint', typed])).code, 0);
  const r = await login('pinned');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, 'Logged in to "pinned" as gina.');
  const list = JSON.parse((await home.mai(['remote', 'list', '--json'])).stdout) as Array<{ name: string; user: string | null }>;
  assert.is(list.find((x) => x.name === 'pinned')?.user, 'gina');
  assert.ok((await home.mai(['-r', 'pinned', 'auth', '--renew'])).code === 0, 'later calls use the stored token through the pin');
});

test('the pin is checked before a byte is sent: an impostor with another certificate never sees a request (or the token)', async () => {
  const own = await generateSelfSignedCertificate({ commonName: 'impostor', altNames: ['127.0.0.1'], days: 1 });
  let requests = 0;
  impostor = createServer({ cert: own.certPem, key: own.keyPem }, (_req, res) => {
    requests++;
    res.end('{}');
  });
  await new Promise<void>((resolve) => impostor!.listen(0, '127.0.0.1', resolve));
  const port = (impostor.address() as AddressInfo).port;
  const pinned = servers[0]!.tls!.fingerprint;
  assert.is((await home.mai(['remote', 'add', 'impostor', `https://127.0.0.1:${port}`, '--fingerprint', pinned])).code, 0);
  refused(await login('impostor'), 'REMOTE_UNTRUSTED', 76, `not the pinned ${pinned}`);
  assert.is(requests, 0);
});

test('--ca-cert: a certificate from a private CA is trusted through it, and refused without it', async () => {
  writeFileSync(join(dir.path, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=mai test CA']);
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  await openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext']);
  const server = await serve('private-ca', { host: '127.0.0.1', tls: { cert: join(dir.path, 'server.pem'), key: join(dir.path, 'server.key') } });
  assert.is(server.tls?.selfSigned, false);
  const url = `https://localhost:${server.httpPort}`;
  assert.is((await home.mai(['remote', 'add', 'public-cas', url])).code, 0);
  refused(await login('public-cas'), 'REMOTE_UNTRUSTED', 76, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  assert.is((await home.mai(['remote', 'add', 'private', url, '--ca-cert', join(dir.path, 'ca.pem')])).code, 0);
  const r = await login('private');
  assert.is(r.code, 0, r.stderr);
});

test.run();
