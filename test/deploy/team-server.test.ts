/**
 * A team server the way README's "Run a team server" brings one up: the image built
 * from deploy/Dockerfile (FROM node:20-bookworm-slim, made here from Debian and this
 * machine's Node 20 where it cannot be pulled), deploy/docker-compose.yml run by
 * Debian's docker-compose 1.29 with the shipped deploy/mai-service.yaml, a local
 * token, the built CLI pinning the self-signed certificate, and plain `ssh` into a
 * session on the published port. The same checks run on SQLite and on the compose
 * file's `postgres` profile. Prints the image size and the server's start time.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LABEL_OWNER } from '../../gateway/backend/backend.js';
import { docker, newRunId } from '../docker/docker-fixtures.js';
import { CliHome } from '../helpers/cli.js';
import { hostBuildArgs } from '../../gateway/domain/driver-builder.js';
import { run } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import {
  ComposeProject,
  ensureNodeBaseImage,
  ensurePostgresImage,
  imageExists,
  NODE_BASE_IMAGE,
  POSTGRES_IMAGE,
  SHIPPED_CONFIG,
  type StartTimes,
} from './compose-project.js';

const runId = newRunId();
const say = (line: string) => process.stdout.write(`\n  [team server] ${line}\n`);
const IMAGE = `mai-test-${runId}/service:latest`;
/** The base driver under a name of this run: the server must build it itself, through the socket. */
const BASE_IMAGE = `mai-test-${runId}/base:latest`;
const NETWORK = `mai-test-${runId}`;
const ADMIN = `t${runId}`;
const TOKEN = randomBytes(24).toString('hex');
const work = tempDir('mai-team-');
const configFile = join(work.path, 'mai-service.yaml');
writeFileSync(configFile, `${readFileSync(SHIPPED_CONFIG, 'utf8')}\ndrivers:\n  - name: base\n    image: ${BASE_IMAGE}\n`, { mode: 0o644 });

const madeHere = { nodeBase: false, postgres: false };
const projects: ComposeProject[] = [];
const homes: CliHome[] = [];
let imageReady: Promise<void> | null = null;

function composeVars(extra: Record<string, string> = {}): Record<string, string> {
  const ca = hostBuildArgs().MAI_EXTRA_CA;
  return { MAI_IMAGE: IMAGE, MAI_CONFIG: configFile, MAI_ADMIN: ADMIN, MAI_ADMIN_TOKEN: TOKEN, MAI_SESSION_NETWORK: NETWORK, ...(ca ? { MAI_EXTRA_CA: ca } : {}), ...extra };
}

/** The server image, built once per run the way the compose file builds it. */
function buildImage(project: ComposeProject): Promise<void> {
  imageReady ??= (async () => {
    if (!(await imageExists('debian:bookworm-slim'))) throw new Error('debian:bookworm-slim is missing: run deploy/base-image.sh (as .ci/run does)');
    madeHere.nodeBase = await ensureNodeBaseImage();
    say(`${NODE_BASE_IMAGE} ${madeHere.nodeBase ? 'made now' : 'present'}: debian:bookworm-slim plus this machine's Node ${process.version} (deploy/node-base-image.sh; it cannot be pulled here)`);
    const started = Date.now();
    await project.build();
    const size = Number((await docker(['image', 'inspect', '-f', '{{.Size}}', IMAGE])).stdout.trim());
    say(`server image ${IMAGE}: ${(size / 1e6).toFixed(0)} MB (${NODE_BASE_IMAGE} included), built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  })();
  return imageReady;
}

const sayStart = (label: string, times: StartTimes) =>
  say(`${label}: container start to server listening ${times.listeningMs} ms, to healthy ${times.healthyMs} ms (HEALTHCHECK every 5 s)`);

test.after(async () => {
  for (const home of homes) await home.mai(['-r', 'team', 'session', 'close', '--all']).catch(() => undefined);
  for (const project of projects) await project.down(true).catch(() => undefined);
  const left = (await docker(['ps', '-aq', '--filter', `label=${LABEL_OWNER}=${ADMIN}`])).stdout.split('\n').filter(Boolean);
  if (left.length) await docker(['rm', '-fv', ...left]);
  await docker(['network', 'rm', NETWORK]);
  await docker(['rmi', IMAGE, BASE_IMAGE]);
  if (madeHere.postgres) await docker(['rmi', POSTGRES_IMAGE]);
  for (const home of homes) home.remove();
  work.remove();
});

for (const kind of ['sqlite', 'postgres'] as const) {
  let project: ComposeProject;
  const home = new CliHome();
  homes.push(home);
  const sshConfig = join(home.configDir, 'remotes', 'team', 'ssh_config');
  const ssh = (args: string[]) => run('ssh', ['-F', sshConfig, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=20', 'mai-team', ...args], { timeoutMs: 120_000 });
  let listening: Record<string, unknown>;
  let sessionId = '';

  test(`${kind}: docker-compose up -d brings the server up healthy, running as "mai" with the socket's group`, async () => {
    const pgPassword = randomBytes(12).toString('hex');
    const extra: Record<string, string> =
      kind === 'postgres'
        ? { COMPOSE_PROFILES: 'postgres', MAI_POSTGRES_PASSWORD: pgPassword, MAI_DATABASE_URL: `postgres://mai:${pgPassword}@postgres:5432/mai` }
        : {};
    project = await ComposeProject.create(`maitest${runId}${kind}`, composeVars(extra));
    projects.push(project);
    await buildImage(project);
    if (kind === 'postgres') {
      madeHere.postgres = await ensurePostgresImage();
      if (madeHere.postgres) say(`${POSTGRES_IMAGE} cannot be pulled here: a stand-in from Debian's postgresql-15 package is tagged with that name (test/deploy/postgres-stand-in)`);
    }
    sayStart(`${kind}: first start`, await project.up());
    listening = await project.listening();
    assert.is(listening.scheme, 'https');
    assert.is(listening.tlsSelfSigned, true);

    const id = await project.containerId();
    const status = (await docker(['exec', id, 'cat', '/proc/1/status'])).stdout;
    const socketGid = (await docker(['exec', id, 'stat', '-c', '%g', '/var/run/docker.sock'])).stdout.trim();
    assert.match(status, /^Uid:\s+990\s+990\s+990\s+990$/m);
    assert.match(status, new RegExp(`^Groups:.*\\b${socketGid}\\b`, 'm'));
    assert.match(status, /^CapEff:\s+0+$/m);
  });

  test(`${kind}: the CLI pins the printed fingerprint and logs in with a local token; unpinned or pinned wrong, it refuses`, async () => {
    const wrong = `SHA256:${'00:'.repeat(31)}00`;
    assert.is((await home.mai(['remote', 'add', 'unpinned', project.url])).code, 0);
    assert.is((await home.mai(['remote', 'add', 'wrong', project.url, '--fingerprint', wrong])).code, 0);
    const unpinned = await home.mai(['-r', 'unpinned', 'auth', '--token-stdin'], { input: TOKEN });
    assert.is(unpinned.code, 76, unpinned.stderr);
    assert.match(unpinned.stderr, '[REMOTE_UNTRUSTED]');
    const mismatch = await home.mai(['-r', 'wrong', 'auth', '--token-stdin'], { input: TOKEN });
    assert.is(mismatch.code, 76, mismatch.stderr);
    assert.match(mismatch.stderr, `presented certificate ${String(listening.tlsFingerprint)}, not the pinned`);

    // What README tells the operator to copy from `docker compose logs mai`.
    const printed = (await project.compose(['logs', '--no-color', 'mai'])).stdout.match(/self-signed TLS certificate (SHA256:[0-9A-F:]+)/)?.[1];
    assert.is(printed, listening.tlsFingerprint);
    assert.is((await home.mai(['remote', 'add', 'team', project.url, '--fingerprint', printed!])).code, 0);
    const login = await home.mai(['-r', 'team', 'auth', '--token-stdin'], { input: `${TOKEN}\n` });
    assert.is(login.code, 0, login.stderr);
    assert.match(login.stderr, `Logged in to "team" as ${ADMIN}`);
  });

  test(`${kind}: a session over HTTPS (its image built by the server through the socket); real ssh runs a command in it`, async () => {
    const created = await home.mai(['-r', 'team', 'session', 'create', '--name', 'work', '--no-connect']);
    assert.is(created.code, 0, created.stderr);
    sessionId = created.stdout.trim();
    const container = JSON.parse((await docker(['inspect', `mai-${sessionId}`])).stdout)[0];
    assert.is(container.Config.Image, BASE_IMAGE, 'built from /app/drivers/base in the server image');
    assert.is(container.Config.Labels[LABEL_OWNER], ADMIN);
    assert.ok(Object.keys(container.NetworkSettings.Networks).includes(NETWORK));

    assert.match(readFileSync(sshConfig, 'utf8'), `Port ${project.sshPort}`);
    const r = await ssh([sessionId, 'echo $MAI_SESSION_ID; id -un']);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, `${sessionId}\nmai\n`);
  });

  test(`${kind}: docker-compose restart keeps the session, the host key (pinned known_hosts) and the certificate`, async () => {
    sayStart(`${kind}: restart`, await project.restart());
    const after = await project.listening();
    assert.is(after.hostKey, listening.hostKey);
    assert.is(after.tlsFingerprint, listening.tlsFingerprint);
    const list = await home.mai(['-r', 'team', 'session', 'list', '--json']);
    assert.is(list.code, 0, list.stderr);
    assert.ok((JSON.parse(list.stdout) as Array<{ id: string; status: string }>).some((s) => s.id === sessionId && s.status === 'running'), list.stdout);
    const r = await ssh([sessionId, 'echo', 'still here']);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, 'still here\n');
  });

  test(`${kind}: down then up keeps the data volume: keys, certificate, ${kind === 'sqlite' ? 'SQLite' : 'PostgreSQL'}, the session`, async () => {
    await project.down();
    sayStart(`${kind}: up after down`, await project.up());
    const after = await project.listening();
    assert.is(after.hostKey, listening.hostKey);
    assert.is(after.userCa, listening.userCa);
    assert.is(after.tlsFingerprint, listening.tlsFingerprint);
    const r = await ssh([sessionId, 'echo', 'back']);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, 'back\n');

    const data = (await project.compose(['exec', '-T', 'mai', 'ls', '/var/lib/mai'])).stdout.split('\n');
    for (const file of ['ssh_host_ed25519_key', 'user_ca_ed25519_key', 'tls_cert.pem', 'tls_key.pem', 'project.key']) assert.ok(data.includes(file), file);
    if (kind === 'sqlite') {
      assert.ok(data.includes('mai.db'));
    } else {
      assert.not.ok(data.includes('mai.db'), 'no SQLite file beside PostgreSQL');
      const rows = await project.compose(['exec', '-T', 'postgres', 'psql', '-U', 'mai', '-d', 'mai', '-tAc', `SELECT name FROM sessions WHERE id = '${sessionId}'`]);
      assert.is(rows.stdout.trim(), 'work', rows.stderr);
    }
  });
}

test.run();
