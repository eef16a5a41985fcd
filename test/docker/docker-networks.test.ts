/**
 * The backend calls sidecars and egress rest on, against the real engine: a session's
 * own network (internal or not, labelled, listed, removed), containers on several
 * networks with their names there, and files read back from a created container,
 * its volumes included.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DockerBackend } from '../../gateway/backend/docker-backend.js';
import { errorCode } from '../helpers/errors.js';
import { cleanUp, docker, ensureBaseImage, newRunId, run, startContainer, TEST_LABEL, testSpec } from './docker-fixtures.js';

const runId = newRunId();
const backend = new DockerBackend();
const own = `mai-test-${runId}-own`;
const ready = ensureBaseImage(backend);

test.after(() => cleanUp(runId));

test('a network of its own: internal, labelled, its subnet known; listed by label; removed (twice is fine)', async () => {
  await ready;
  const { subnet } = await backend.createNetwork({ name: own, internal: true, labels: { [TEST_LABEL]: runId, 'mai.session': `s-${runId}` } });
  assert.match(subnet ?? '', /^\d+\.\d+\.\d+\.\d+\/\d+$/);
  const inspected = JSON.parse((await docker(['network', 'inspect', '-f', '{{json .}}', own])).stdout) as { Internal: boolean; Labels: Record<string, string> };
  assert.is(inspected.Internal, true);
  assert.is(inspected.Labels['mai.managed'], 'true');
  assert.equal((await backend.listNetworks({ [TEST_LABEL]: runId })).map((n) => [n.name, n.labels['mai.session']]), [[own, `s-${runId}`]]);
});

test('a container on two networks answers to its alias on the second; the internal one has no way out', async () => {
  await ready;
  const shared = `mai-test-${runId}-shared`;
  const server = await startContainer(backend, testSpec(runId, 'server', { network: shared, networks: [{ name: own, aliases: ['the-server'] }] }));
  const nets = (await docker(['inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}', server])).stdout.trim().split(' ').sort();
  assert.equal(nets, [own, shared].sort());
  const client = await startContainer(backend, testSpec(runId, 'client', { networks: [{ name: own }] }));
  const found = await run(backend, client, ['getent', 'hosts', 'the-server']);
  assert.is(found.code, 0, found.stderr);
  const out = await run(backend, client, ['bash', '-c', 'timeout 5 bash -c "</dev/tcp/1.1.1.1/53" && echo out || echo no-route']);
  assert.is(out.stdout, 'no-route\n');
  assert.is(await errorCode(backend.removeNetwork(own)), 'DOCKER_FAILED', 'not while containers are on it');
  await backend.remove(client);
  await backend.remove(server);
  await backend.removeNetwork(own);
  await backend.removeNetwork(own);
  assert.is.not((await docker(['network', 'inspect', own])).code, 0);
});

test('readFile: a file of a created container, in a volume too; null for missing, directories, links; too big refused', async () => {
  await ready;
  const volume = `mai-test-${runId}-vol`;
  const id = await backend.create(testSpec(runId, 'files', { volumes: [{ source: volume, target: '/data', readOnly: false }] }));
  await backend.writeFiles(id, [
    { path: '/data/settings.json', content: '{"a":1}\n', mode: 0o600, uid: 1000, gid: 1000 },
    { path: '/tmp/big', content: Buffer.alloc(300_000, 'x'), mode: 0o644, uid: 0, gid: 0 },
  ]);
  assert.is((await backend.readFile(id, '/data/settings.json', 1024))?.toString(), '{"a":1}\n');
  assert.is(await backend.readFile(id, '/data/missing.json', 1024), null);
  assert.is(await backend.readFile(id, '/data', 1024), null);
  assert.is(await backend.readFile(id, '/etc/mtab', 1024), null, 'a symlink is not followed');
  assert.is(await errorCode(backend.readFile(id, '/tmp/big', 100_000)), 'DOCKER_FAILED');
  assert.is((await backend.readFile(id, '/tmp/big', 400_000))?.length, 300_000);
});

test.run();
