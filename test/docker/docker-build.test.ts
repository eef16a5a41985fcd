import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MaiError } from '../../gateway/errors.js';
import { DockerBackend } from '../../gateway/backend/docker-backend.js';
import { BASE_CONTEXT, cleanUp, docker, ensureBaseImage, newRunId, run, startContainer, testSpec, TEST_LABEL } from './docker-fixtures.js';
import { rejectedBy } from '../helpers/errors.js';

const runId = newRunId();
const backend = new DockerBackend();
const baseCopy = `mai-test/base:${runId}`;
const tmpDirs: string[] = [];

const build = suite('docker backend: images and errors');

build.before(async () => {
  await ensureBaseImage(backend);
});

build.after(async () => {
  await cleanUp(runId);
  await docker(['rmi', '-f', baseCopy]);
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
});

function context(dockerfile: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mai-test-ctx-'));
  tmpDirs.push(dir);
  writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  return dir;
}

build('builds drivers/base with progress lines; helpers end up executable, user is mai', async () => {
  const lines: string[] = [];
  await backend.buildImage({ contextDir: BASE_CONTEXT, tag: baseCopy, onProgress: (l) => lines.push(l) });
  assert.ok(lines.some((l) => l.startsWith('Step 1/')), lines.join('\n'));
  assert.ok(await backend.imageExists(baseCopy));
  const id = await startContainer(backend, testSpec(runId, 'base', { image: baseCopy }));
  const res = await run(backend, id, [
    'sh', '-c',
    'id; stat -c "%a %U %n" /app /run/mai/exec /usr/local/bin/mai-exec /usr/local/bin/mai-kill /usr/local/bin/mai /entrypoint.sh /mai-init.sh; ls /usr/lib/openssh/sftp-server; git --version >/dev/null && ssh -V 2>/dev/null && echo tools-ok',
  ]);
  assert.is(res.stdout, [
    'uid=1000(mai) gid=1000(mai) groups=1000(mai)',
    '755 mai /app',
    '1777 mai /run/mai/exec',
    '755 root /usr/local/bin/mai-exec',
    '755 root /usr/local/bin/mai-kill',
    '755 root /usr/local/bin/mai',
    '755 root /entrypoint.sh',
    '755 root /mai-init.sh',
    '/usr/lib/openssh/sftp-server',
    'tools-ok',
    '',
  ].join('\n'));
});

build('a failing build step is DRIVER_BUILD_FAILED with the engine message', async () => {
  const dir = context(`FROM ${'mai/base:latest'}\nARG RUN_ID\nLABEL ${TEST_LABEL}=$RUN_ID\nRUN echo building && exit 3\n`);
  const lines: string[] = [];
  const err = await rejectedBy(() =>
    backend.buildImage({ contextDir: dir, tag: `mai-test/fail:${runId}`, buildArgs: { RUN_ID: runId }, onProgress: (l) => lines.push(l) }),
  );
  assert.is(err.code, 'DRIVER_BUILD_FAILED');
  assert.match(err.message, /non-zero code: 3/);
  assert.ok(lines.includes('building'), lines.join('\n'));
  assert.not.ok(await backend.imageExists(`mai-test/fail:${runId}`));
});

build('a bad Dockerfile reference is DRIVER_BUILD_FAILED', async () => {
  const dir = context('FROM mai/base:latest\n');
  const err = await rejectedBy(() => backend.buildImage({ contextDir: dir, tag: `mai-test/bad:${runId}`, dockerfile: 'Nope.Dockerfile' }));
  assert.is(err.code, 'DRIVER_BUILD_FAILED');
});

build('imageExists is false for an unknown tag', async () => {
  assert.is(await backend.imageExists(`mai-test/none:${runId}`), false);
});

build('a backend pointed at a missing socket is DOCKER_UNAVAILABLE, for every kind of call', async () => {
  const socketPath = `/nonexistent/mai-${runId}/docker.sock`;
  const gone = new DockerBackend({ socketPath });
  const calls: Array<() => Promise<unknown>> = [
    () => gone.ping(),
    () => gone.imageExists('x'),
    () => gone.list({}),
    () => gone.inspect('x'),
    () => gone.create(testSpec(runId, 'gone')),
    () => gone.exec('x', { cmd: ['true'], tty: false }),
    () => gone.logs('x', { follow: false, tail: 'all' }),
    () => gone.buildImage({ contextDir: BASE_CONTEXT, tag: 'x' }),
  ];
  for (const call of calls) {
    const err = await rejectedBy(call);
    assert.is(err.code, 'DOCKER_UNAVAILABLE', String(err));
    assert.is(err.message, `Docker is not running or not reachable at ${socketPath}`);
    assert.ok(err.cause, 'original error kept as cause');
  }
});

build('engine errors are DOCKER_FAILED with the engine message, no stack', async () => {
  const err = await rejectedBy(() => backend.start(`mai-test-${runId}-missing`));
  assert.is(err.code, 'DOCKER_FAILED');
  assert.match(err.message, /^No such container/);
});

build.run();
