/**
 * Egress on the real engine: two web servers (`allowed.test`, `denied.test`, network
 * aliases on the test's own network, which sessions use as their shared bridge). The
 * default reaches both; `--egress allow:allowed.test` reaches the first only, through the
 * filtering proxy its HTTP(S)_PROXY name (and never directly); `--egress none` reaches
 * neither. A project's git host is let through without being listed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DockerBackend } from '../../gateway/backend/docker-backend.js';
import type { SessionService } from '../../gateway/domain/session-service.js';
import type { SessionRecord } from '../../gateway/domain/types.js';
import { openStore } from '../../gateway/store/open-store.js';
import type { Store } from '../../gateway/store/store.js';
import { cleanUp, docker, ensureBaseImage, newRunId, TEST_LABEL } from '../docker/docker-fixtures.js';
import { configured, sh, toolCore } from './tool-fixtures.js';

const runId = newRunId();
const network = `mai-test-${runId}`;
const owner = { name: `t${runId}`, admin: false };
const dataDir = mkdtempSync(join(tmpdir(), 'mai-egress-'));
const backend = new DockerBackend({});
let store: Store;
let sessions: SessionService;

/** A one-line HTTP server on port 80 answering "hello from NAME", reachable as NAME.test. */
async function webServer(name: string): Promise<void> {
  const reply = `HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\nhello from ${name}\\n`;
  const started = await docker([
    'run', '-d', '--name', `mai-test-${runId}-${name}`, '--label', `${TEST_LABEL}=${runId}`,
    '--network', network, '--network-alias', `${name}.test`, '--user', 'root', '--entrypoint', 'bash', 'mai/base:latest',
    '-c', `printf '${reply}' > /tmp/reply && exec socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'cat /tmp/reply'`,
  ]);
  assert.is(started.code, 0, started.stderr);
}

const ready = (async () => {
  await ensureBaseImage(backend);
  const net = await docker(['network', 'create', '--label', `${TEST_LABEL}=${runId}`, network]);
  assert.is(net.code, 0, net.stderr);
  for (const name of ['allowed', 'denied', 'git']) await webServer(name);
  store = await openStore({ dataDir });
  sessions = await toolCore({ store, backend, network, tools: configured({}) });
})();

test.after(async () => {
  if (sessions) for (const s of await sessions.list(owner)) await sessions.close(s).catch(() => undefined);
  await store?.close();
  await cleanUp(runId);
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * GET http://HOST/ from inside the session the way curl would: through $http_proxy when
 * the session has one, else directly. Prints the status line and body, or why not.
 */
async function fetchFrom(session: SessionRecord, host: string): Promise<string> {
  const script = `
if [ -n "\${http_proxy:-}" ]; then
  hp="\${http_proxy#http://}"; hp="\${hp%/}"
  exec 3<>"/dev/tcp/\${hp%:*}/\${hp##*:}" || exit 7
  printf 'GET http://%s/ HTTP/1.0\\r\\nHost: %s\\r\\n\\r\\n' "$1" "$1" >&3
else
  exec 3<>"/dev/tcp/$1/80" || exit 7
  printf 'GET / HTTP/1.0\\r\\nHost: %s\\r\\n\\r\\n' "$1" >&3
fi
timeout 20 cat <&3`;
  const res = await sh(sessions, session, `set -- ${host}\ntimeout 30 bash -c ${shellQuote(script)} _ "$1"`);
  return res.code === 0 ? res.out : `failed (${res.code}): ${res.err.trim()}`;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

test('the default (open) reaches both servers directly', async () => {
  await ready;
  const session = await sessions.create(owner, { name: 'open' });
  assert.is(session.spec.egress, 'open');
  assert.match(await fetchFrom(session, 'allowed.test'), 'hello from allowed');
  assert.match(await fetchFrom(session, 'denied.test'), 'hello from denied');
});

test('--egress allow:allowed.test: the first through the proxy, the second refused, neither directly', async () => {
  await ready;
  const session = await sessions.create(owner, { name: 'allow', egress: 'allow:allowed.test' });
  assert.is((await sh(sessions, session, 'echo "$HTTPS_PROXY"')).out, 'http://mai-egress:3128\n');
  const allowed = await fetchFrom(session, 'allowed.test');
  assert.match(allowed, /^HTTP\/1\.0 200 OK/, `through the proxy: ${allowed.slice(0, 300)}`);
  assert.match(allowed, 'hello from allowed');
  assert.match(await fetchFrom(session, 'denied.test'), /^HTTP\/1\.0 403 Filtered/);
  // Without the proxy there is no way out at all: the session's own network is internal.
  const direct = await sh(sessions, session, 'unset http_proxy; timeout 10 bash -c "</dev/tcp/allowed.test/80" && echo reached || echo unreachable');
  assert.is(direct.out, 'unreachable\n');
  const proxy = `mai-${session.id}-egress`;
  const labels = JSON.parse((await docker(['inspect', '-f', '{{json .Config.Labels}}', proxy])).stdout) as Record<string, string>;
  assert.equal([labels['mai.session'], labels['mai.sidecar'], labels['mai.owner']], [session.id, 'egress', owner.name]);
  await sessions.close(session);
  assert.is.not((await docker(['inspect', proxy])).code, 0, 'the proxy went with the session');
  assert.is.not((await docker(['network', 'inspect', `mai-net-${session.id}`])).code, 0);
});

test('--egress none reaches neither', async () => {
  await ready;
  const session = await sessions.create(owner, { name: 'none', egress: 'none' });
  assert.is((await sh(sessions, session, 'echo "${http_proxy:-no proxy}"')).out, 'no proxy\n');
  assert.match(await fetchFrom(session, 'allowed.test'), /^failed/);
  assert.match(await fetchFrom(session, 'denied.test'), /^failed/);
  assert.is(session.spec.sidecars, undefined, 'no proxy for none');
});

test("a project's git host is allowed without being listed", async () => {
  await ready;
  const session = await sessions.create(owner, { name: 'clone', egress: 'allow:allowed.test', projectUrl: 'http://git.test/team/repo.git' });
  assert.is(session.spec.egress, 'allow:allowed.test,git.test');
  assert.match(await fetchFrom(session, 'git.test'), 'hello from git');
  assert.match(await fetchFrom(session, 'denied.test'), /403 Filtered/);
});

test.run();
