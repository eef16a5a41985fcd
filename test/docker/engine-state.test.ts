/**
 * The engine's state in memory (`ContainerStates`, fed by Docker's event stream):
 * what another hand does to a container (`docker kill`, `docker rm`) shows without
 * mai asking the engine, and a broken stream is noticed and made good by a new
 * listing. The stream is cut at a transport seam (a proxy on the engine's socket),
 * never by restarting the engine other tests share.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ContainerInfo } from '../../gateway/backend/backend.js';
import { DockerBackend } from '../../gateway/backend/docker-backend.js';
import type { DockerContainerStates } from '../../gateway/backend/docker-container-states.js';
import { EngineProxy } from '../helpers/engine-proxy.js';
import { eventually } from '../helpers/run.js';
import { BASE_IMAGE, cleanUp, docker, ensureBaseImage, newRunId, TEST_LABEL } from './docker-fixtures.js';

const test = suite('engine state from events');
const runId = newRunId();
const proxy = new EngineProxy();
const backend = new DockerBackend({ socketPath: proxy.socketPath });
const listings: string[] = [];
let watch: DockerContainerStates;

test.before(async () => {
  await proxy.listen();
  await ensureBaseImage(new DockerBackend());
  watch = backend.watch({ [TEST_LABEL]: runId }, { listed: (reason) => listings.push(reason) });
  await watch.start();
});

test.after(async () => {
  await watch?.close();
  await cleanUp(runId);
  await proxy.close();
});

/** A container made behind mai's back, with the docker CLI on the engine's own socket. */
async function runBehindMaisBack(name: string): Promise<string> {
  const r = await docker(['run', '-d', '--name', `mai-test-${runId}-${name}`, '--label', `${TEST_LABEL}=${runId}`, BASE_IMAGE]);
  assert.is(r.code, 0, r.stderr);
  return r.stdout.trim();
}

async function stateOf(id: string): Promise<ContainerInfo | undefined> {
  return (await watch.list()).find((c) => c.id === id);
}

test('started: one listing, then reads come from memory', async () => {
  assert.ok(watch.live);
  assert.equal(listings, ['start']);
});

test('a container run, killed and removed behind mai\'s back shows so, from the event stream', async () => {
  const id = await runBehindMaisBack('killed');
  await eventually(async () => (await stateOf(id))?.state === 'running', 15_000, 'the new container to show as running');
  assert.is((await docker(['kill', id])).code, 0);
  const killed = await eventually(async () => {
    const info = await stateOf(id);
    return info?.state === 'exited' ? info : null;
  }, 15_000, 'the killed container to show as exited');
  assert.is(killed.exitCode, 137);
  assert.is((await docker(['rm', id])).code, 0);
  await eventually(async () => !(await stateOf(id)), 15_000, 'the removed container to be gone');
  // All of it without a new listing: the stream told.
  assert.ok(watch.live);
  assert.equal(listings, ['start']);
});

test('the event stream cut: reads go to the engine meanwhile, and a new listing brings in what was missed', async () => {
  const stays = await runBehindMaisBack('stays');
  await eventually(async () => (await stateOf(stays))?.state === 'running', 15_000, 'the container to show as running');

  proxy.holdEvents = true;
  assert.ok(proxy.cutEvents() >= 1, 'an event stream was open');
  await eventually(async () => !watch.live, 15_000, 'the watch to notice the cut');
  // While the stream is down, a change no event will ever report to mai...
  assert.is((await docker(['kill', stays])).code, 0);
  // ...is read from the engine itself.
  assert.is((await stateOf(stays))?.state, 'exited');

  proxy.holdEvents = false;
  await eventually(async () => watch.live, 15_000, 'a new stream and listing');
  assert.is(listings.at(-1), 'reconnect');
  // From memory again, and right: the listing after the cut saw the kill.
  assert.is((await stateOf(stays))?.state, 'exited');
  // And the new stream carries news again.
  assert.is((await docker(['start', stays])).code, 0);
  await eventually(async () => (await stateOf(stays))?.state === 'running', 15_000, 'the restarted container to show as running');
});

test('closed: no stream, reads go to the engine', async () => {
  const streams = proxy.eventStreams;
  await watch.close();
  await watch.close();
  assert.not.ok(watch.live);
  const id = await runBehindMaisBack('after-close');
  assert.is((await stateOf(id))?.state, 'running');
  await new Promise((r) => setTimeout(r, 300));
  assert.is(proxy.eventStreams, streams, 'no stream reopened after close');
});

test.run();
