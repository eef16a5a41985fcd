import { LABEL_DRIVER_DIGEST } from '../../gateway/domain/driver-builder.js';
import { rejectedBy } from '../helpers/errors.js';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SESSION_ENDED_EXIT_CODE } from '../../gateway/backend/backend.js';
import { DockerBackend } from '../../gateway/backend/docker-backend.js';
import {
  cleanUp, collect, docker, ensureBaseImage, newRunId, run, startContainer, testSpec, TEST_LABEL, waitUntil,
} from './docker-fixtures.js';

const runId = newRunId();
const backend = new DockerBackend();
const tmpDirs: string[] = [];

const containers = suite('docker backend: containers');

containers.before(async () => {
  await ensureBaseImage(backend);
  // An image with an anonymous volume, for the remove test; built through the backend.
  const dir = mkdtempSync(join(tmpdir(), 'mai-test-ctx-'));
  tmpDirs.push(dir);
  writeFileSync(join(dir, 'Dockerfile'), `FROM mai/base:latest\nARG RUN_ID\nLABEL ${TEST_LABEL}=$RUN_ID\nVOLUME /data\n`);
  await backend.buildImage({ contextDir: dir, tag: `mai-test/volume:${runId}`, buildArgs: { RUN_ID: runId } });
});

containers.after(async () => {
  await cleanUp(runId);
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function inspectJson(id: string): Promise<any> {
  const res = await docker(['inspect', id]);
  return JSON.parse(res.stdout)[0];
}

containers('create: labels, env, limits, security, ports on loopback, network without ICC, volumes', async () => {
  const port = await freePort();
  const network = `mai-test-${runId}-net`;
  const volume = `mai-test-${runId}-vol`;
  const hostDir = mkdtempSync(join(tmpdir(), 'mai-test-'));
  tmpDirs.push(hostDir);
  chmodSync(hostDir, 0o755);
  writeFileSync(join(hostDir, 'hello.txt'), 'from the host\n');
  const spec = testSpec(runId, 'create', {
    env: { FOO: 'bar' },
    ports: [{ container: 8000, host: port }, { container: 9000 }],
    limits: { cpus: 1.5, memoryMb: 300, pids: 123 },
    network,
    volumes: [
      { source: hostDir, target: '/mnt/host', readOnly: true },
      // A new named volume takes the owner of the image's directory (mai for /app).
      { source: volume, target: '/app', readOnly: false },
    ],
  });
  const id = await startContainer(backend, spec);

  const info = await backend.inspect(id);
  assert.ok(info);
  assert.is(info.state, 'running');
  assert.is(info.name, spec.name);
  assert.is(info.image, spec.image);
  // The container's labels are ours, plus whatever its image carries (the engine merges them in).
  const { [LABEL_DRIVER_DIGEST]: _digest, ...ours } = info.labels;
  assert.equal(ours, spec.labels);
  assert.is(info.exitCode, null);

  const raw = await inspectJson(id);
  assert.is(raw.HostConfig.NanoCpus, 1_500_000_000);
  assert.is(raw.HostConfig.Memory, 300 * 1024 * 1024);
  assert.is(raw.HostConfig.PidsLimit, 123);
  assert.equal(raw.HostConfig.SecurityOpt, ['no-new-privileges']);
  assert.is(raw.HostConfig.Init, true);
  assert.equal(raw.HostConfig.PortBindings['8000/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(port) }]);
  assert.is(raw.HostConfig.PortBindings['9000/tcp'], undefined);
  assert.ok(Object.keys(raw.NetworkSettings.Networks).includes(network));
  assert.ok(raw.Config.Env.includes('FOO=bar'));

  const net = JSON.parse((await docker(['network', 'inspect', network])).stdout)[0];
  assert.is(net.Options['com.docker.network.bridge.enable_icc'], 'false');
  assert.is(net.Labels['mai.managed'], 'true');

  const res = await run(backend, id, ['sh', '-c', 'printenv FOO; cat /mnt/host/hello.txt; touch /app/ok && echo vol-ok; touch /mnt/host/x 2>/dev/null || echo ro']);
  assert.is(res.stdout, 'bar\nfrom the host\nvol-ok\nro\n');

  // A second container on the same network: the network is reused, not re-created.
  const second = await backend.create(testSpec(runId, 'create2', { network }));
  assert.ok(second);
});

containers('create: a missing image is IMAGE_MISSING', async () => {
  const err = await rejectedBy(() => backend.create(testSpec(runId, 'noimage', { image: `mai-test/does-not-exist:${runId}` })));
  assert.is(err.code, 'IMAGE_MISSING');
});

containers('list by label; inspect of a missing container is null', async () => {
  const id = await backend.create(testSpec(runId, 'listed'));
  const all = await backend.list({ [TEST_LABEL]: runId });
  assert.ok(all.some((c) => c.id === id && c.state === 'created'));
  const one = await backend.list({ [TEST_LABEL]: runId, 'mai.session': `${runId}-listed` });
  assert.equal(one.map((c) => c.id), [id]);
  const present = await backend.list({ [TEST_LABEL]: '', 'mai.session': `${runId}-listed` });
  assert.equal(present.map((c) => c.id), [id]);
  assert.is((await backend.list({ [TEST_LABEL]: `${runId}-nothing` })).length, 0);
  assert.is(await backend.inspect(`mai-test-${runId}-never-created`), null);
});

containers('writeFiles: content, mode and owner correct; secret absent from inspect', async () => {
  const secret = `token-${runId}-s3cr3t`;
  const id = await backend.create(testSpec(runId, 'files'));
  await backend.writeFiles(id, [
    { path: '/run/mai/secrets/git-token', content: secret, mode: 0o400, uid: 1000, gid: 1000 },
    { path: '/opt/mai-test/deep/dir/config.txt', content: Buffer.from('cfg\n'), mode: 0o644, uid: 1000, gid: 1000 },
  ]);
  await backend.start(id);
  const res = await run(backend, id, [
    'sh', '-c',
    'cat /run/mai/secrets/git-token; echo; stat -c "%a %u %g %n" /run/mai/secrets/git-token /run/mai/secrets /run/mai /run /opt/mai-test/deep/dir/config.txt /opt/mai-test /opt',
  ]);
  assert.is(res.stdout, [
    secret,
    '400 1000 1000 /run/mai/secrets/git-token',
    '700 1000 1000 /run/mai/secrets',
    // Existing parents keep their owner and mode.
    '755 1000 1000 /run/mai',
    '755 0 0 /run',
    '644 1000 1000 /opt/mai-test/deep/dir/config.txt',
    '700 1000 1000 /opt/mai-test',
    '755 0 0 /opt',
    '',
  ].join('\n'));
  const raw = (await docker(['inspect', id])).stdout;
  assert.not.ok(raw.includes(secret), 'secret must not appear in docker inspect');
});

containers('init: a token stays scoped to its host; a failed clone is logged and the container still comes up', async () => {
  const secret = `tok-${runId}`;
  const id = await backend.create(testSpec(runId, 'init', { env: { MAI_PROJECT_URL: 'https://git.invalid/team/repo.git' } }));
  await backend.writeFiles(id, [{ path: '/run/mai/secrets/git-token', content: secret, mode: 0o400, uid: 1000, gid: 1000 }]);
  await backend.start(id);
  const logs = await waitUntil('init to finish', async () => {
    const text = (await collect(await backend.logs(id, { follow: false, tail: 'all' }))).toString();
    return text.includes('session starts without it') ? text : undefined;
  });
  assert.ok(logs.includes('mai-init: initializing project: https://git.invalid/team/repo.git'), logs);
  assert.ok(logs.includes('using the token for https://git.invalid'), logs);
  assert.not.ok(logs.includes(secret));
  assert.is((await backend.inspect(id))?.state, 'running');

  const fill = (host: string) =>
    run(backend, id, ['sh', '-c', `GIT_TERMINAL_PROMPT=0 git credential fill`], { input: `protocol=https\nhost=${host}\n\n` });
  const own = await fill('git.invalid');
  assert.ok(own.stdout.includes(`password=${secret}`), own.stdout + own.stderr);
  const other = await fill('evil.invalid');
  assert.not.ok(other.stdout.includes(secret));
  const log = await run(backend, id, ['cat', '/home/mai/.mai/init.log']);
  assert.ok(log.stdout.includes('session starts without it'));
});

containers('init: clones a local repository into /app and runs .mai/init.sh', async () => {
  const repo = mkdtempSync(join(tmpdir(), 'mai-test-repo-'));
  tmpDirs.push(repo);
  mkdirSync(join(repo, '.mai'));
  writeFileSync(join(repo, 'README'), 'hello\n');
  writeFileSync(join(repo, '.mai', 'init.sh'), 'echo project-init-ran > /tmp/project-init\n');
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]);
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'init');
  // Owned by the container's user, as a user's own checkout would be (git refuses "dubious ownership").
  execFileSync('chown', ['-R', '1000:1000', repo]);
  const id = await startContainer(backend, testSpec(runId, 'clone', {
    env: { MAI_PROJECT_URL: '/srv/repo' },
    volumes: [{ source: repo, target: '/srv/repo', readOnly: true }],
  }));
  await waitUntil('clone', async () => ((await collect(await backend.logs(id, { follow: false, tail: 'all' }))).toString().includes('mai-init: done') ? true : undefined));
  const res = await run(backend, id, ['sh', '-c', 'cat /app/README /tmp/project-init']);
  assert.is(res.stdout, 'hello\nproject-init-ran\n');
});

containers('logs: tail without follow; follow ends when the container does', async () => {
  const id = await startContainer(backend, testSpec(runId, 'logs', { env: { MAI_PROJECT_URL: '/nonexistent/repo' } }));
  await waitUntil('init output', async () => ((await collect(await backend.logs(id, { follow: false, tail: 'all' }))).toString().includes('starts without it') ? true : undefined));
  const all = (await collect(await backend.logs(id, { follow: false, tail: 'all' }))).toString();
  const last = (await collect(await backend.logs(id, { follow: false, tail: 1 }))).toString();
  assert.ok(all.split('\n').length > 2, all);
  assert.is(last, all.split('\n').slice(-2).join('\n'));
  const following = collect(await backend.logs(id, { follow: true, tail: 'all' }));
  await backend.stop(id, 5);
  const followed = (await following).toString();
  assert.is(followed, all);
  assert.is((await backend.inspect(id))?.state, 'exited');
});

containers('`mai stop` inside the container ends it with SESSION_ENDED_EXIT_CODE', async () => {
  const id = await startContainer(backend, testSpec(runId, 'maistop'));
  const other = await run(backend, id, ['mai', 'ls']);
  assert.is.not(other.code, 0);
  assert.ok(other.stderr.includes("only 'mai stop'"));
  await run(backend, id, ['mai', 'stop']);
  const info = await waitUntil('exit', async () => {
    const i = await backend.inspect(id);
    return i?.state === 'exited' ? i : undefined;
  });
  assert.is(info.exitCode, SESSION_ENDED_EXIT_CODE);
  const listed = await backend.list({ 'mai.session': `${runId}-maistop` });
  assert.is(listed[0]?.exitCode, SESSION_ENDED_EXIT_CODE);
});

containers('docker stop is prompt (SIGTERM honoured, not the 10 s kill)', async () => {
  const id = await startContainer(backend, testSpec(runId, 'stop'));
  const t0 = Date.now();
  await backend.stop(id);
  assert.ok(Date.now() - t0 < 5000, `stop took ${Date.now() - t0} ms`);
  assert.is((await backend.inspect(id))?.exitCode, 0);
  await backend.stop(id); // already stopped: not an error
  await backend.start(id);
  await backend.start(id); // already running: not an error
  assert.is((await backend.inspect(id))?.state, 'running');
});

containers('remove leaves no container and no anonymous volume; removing again is fine', async () => {
  const id = await startContainer(backend, testSpec(runId, 'remove', { image: `mai-test/volume:${runId}` }));
  const raw = await inspectJson(id);
  const anon = raw.Mounts.find((m: { Destination: string }) => m.Destination === '/data')?.Name as string;
  assert.ok(anon, 'the image declares an anonymous volume');
  assert.is((await docker(['volume', 'inspect', anon])).code, 0);
  await backend.remove(id);
  assert.is(await backend.inspect(id), null);
  assert.is.not((await docker(['volume', 'inspect', anon])).code, 0);
  await backend.remove(id);
});

containers.run();
