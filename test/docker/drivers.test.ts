/**
 * Every driver under drivers/ (and the custom example), on the real engine:
 * manifests validate with the one schema; drivers whose installers reach only
 * the npm registry and Debian's mirror are built from their Dockerfiles (once;
 * an existing image is reused) and their tool's --version runs inside a
 * session; a driver whose installer needs a host this machine cannot reach is
 * built up to that step, and its complete build is counted as skipped, with
 * the reason printed.
 * Also: sensitive variables reach only the tool's process, `persist` paths
 * survive sessions, and attach puts the tool and a shell side by side (tmux).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureDriverImage, hostBuildArgs } from '../../gateway/domain/driver-builder.js';
import { DriverCatalog, type Driver } from '../../gateway/domain/driver-catalog.js';
import { packageRoot } from '../../drivers/package-root.js';
import { DockerBackend } from '../../gateway/backend/docker-backend.js';
import { persistVolumeName } from '../../gateway/domain/session-extras.js';
import { SessionService } from '../../gateway/domain/session-service.js';
import { LOCAL_POLICY } from '../../gateway/domain/policy.js';
import type { SessionRecord } from '../../gateway/domain/types.js';
import { openStore } from '../../gateway/store/open-store.js';
import type { Store } from '../../gateway/store/store.js';
import { cleanUp, collect, docker, newRunId, removePersistVolumes, TEST_LABEL } from './docker-fixtures.js';
import { eventually } from '../helpers/run.js';

const runId = newRunId();
const root = packageRoot();
const CUSTOM_DIR = join(root, 'drivers', 'custom', 'example');
/** The custom example comes in the way a user's config `drivers: [DIR]` brings it. */
const catalog = new DriverCatalog(join(root, 'drivers'), [CUSTOM_DIR]);
const backend = new DockerBackend({});
const owner = { name: `t${runId}`, admin: false };
const dataDir = mkdtempSync(join(tmpdir(), 'mai-drivers-'));
const say = (line: string) => process.stdout.write(`\n  [drivers] ${line}\n`);
let store: Store;
let sessions: SessionService;

/** An installer step that needs hosts beyond the npm registry and Debian's mirror is marked in the Dockerfile. */
function networkMarker(driver: Driver): { hosts: string[]; line: number } | null {
  const lines = readFileSync(join(driver.dir, 'Dockerfile'), 'utf8').split('\n');
  const line = lines.findIndex((l) => /^#\s*needs-network:/.test(l));
  return line < 0 ? null : { hosts: lines[line]!.replace(/^#\s*needs-network:/, '').trim().split(/\s+/), line };
}

const ready = (async () => {
  store = await openStore({ dataDir });
  sessions = new SessionService({
    store,
    backend,
    drivers: catalog,
    instanceId: await store.instanceId(),
    defaultDriver: 'base',
    network: `mai-test-${runId}`,
    policy: LOCAL_POLICY,
  });
  // As `mai session create` does: built when missing or stale, with the machine's extra CAs.
  if (hostBuildArgs().MAI_EXTRA_CA) say('this machine trusts extra CAs (a TLS-inspecting proxy): builds get them (MAI_EXTRA_CA)');
  await ensureDriverImage(backend, catalog, catalog.get('base'), () => {}, hostBuildArgs());
})();

test.after(async () => {
  if (sessions) for (const s of await sessions.list(owner)) await sessions.close(s).catch(() => undefined);
  await store?.close();
  await removePersistVolumes(owner.name);
  await cleanUp(runId);
  rmSync(dataDir, { recursive: true, force: true });
});

async function sh(session: SessionRecord, script: string, user?: string): Promise<{ out: string; err: string; code: number }> {
  const proc = await sessions.exec(session, { cmd: ['bash', '-lc', script], tty: false, ...(user ? { user } : {}) });
  const out = collect(proc.stdout);
  const err = collect(proc.stderr);
  proc.stdin.end();
  const code = await proc.wait();
  return { out: (await out).toString(), err: (await err).toString(), code };
}

test('every driver: manifest valid, Dockerfile FROM mai/base, README; the four tools are there', () => {
  const names = catalog.list().map((d) => d.manifest.name);
  for (const name of ['base', 'goose', 'aider', 'claude-code', 'opencode']) assert.ok(names.includes(name), name);
  // `--driver ./path` reads the same folder through the same schema.
  assert.is(catalog.resolve('./drivers/custom/example', root).manifest.name, 'my-tool');
  for (const driver of catalog.list()) {
    assert.ok(existsSync(join(driver.dir, 'README.md')) || driver.dir === CUSTOM_DIR, `${driver.manifest.name}: README`);
    if (driver.manifest.name === 'base') continue;
    assert.is(catalog.parentOf(driver)?.manifest.name, 'base', `${driver.manifest.name} builds FROM mai/base`);
    assert.ok(driver.manifest.tool, `${driver.manifest.name}: tool`);
    assert.equal(driver.manifest.attach.slice(0, 2), ['mai-attach', driver.manifest.tool!.name]);
    for (const v of driver.manifest.environment.filter((e) => /API_KEY|TOKEN/.test(e.name))) assert.ok(v.sensitive, `${driver.manifest.name}: ${v.name} sensitive`);
  }
});

/** Which of `hosts` this machine cannot open a TLS port on (checked once, as the test file loads). */
function unreachableHosts(hosts: string[]): string[] {
  return hosts.filter((h) => spawnSync('timeout', ['5', 'bash', '-c', `</dev/tcp/${h}/443`], { stdio: 'ignore' }).status !== 0);
}

for (const name of ['claude-code', 'opencode', 'aider', 'goose', 'my-tool']) {
  const driver = catalog.get(name);
  const label = driver.manifest.name;
  const marker = networkMarker(driver);
  const unreachable = marker ? unreachableHosts(marker.hosts) : [];

  if (marker && unreachable.length > 0) {
    test(`${label}: its Dockerfile builds on mai/base up to the install step that needs ${marker.hosts.join(', ')}`, async () => {
      await ready;
      // Everything before the marked step still builds here: the apt layers and the base.
      const context = mkdtempSync(join(tmpdir(), `mai-${label}-`));
      try {
        cpSync(driver.dir, context, { recursive: true });
        const lines = readFileSync(join(driver.dir, 'Dockerfile'), 'utf8').split('\n').slice(0, marker.line);
        writeFileSync(join(context, 'Dockerfile'), `${lines.join('\n')}\nLABEL ${TEST_LABEL}=${runId}\n`);
        await backend.buildImage({ contextDir: context, tag: `mai-test-${runId}/${label}-partial:latest` });
      } finally {
        rmSync(context, { recursive: true, force: true });
      }
    });
  }

  // Not run here is counted as skipped, never as passed: the reason is printed with it.
  const reachable = unreachable.length === 0;
  if (!reachable) {
    say(
      `${label}: SKIPPED the complete build and "${driver.manifest.tool!.version_command.join(' ')}": its install step needs ` +
        `${marker!.hosts.join(', ')}, unreachable from this machine (${unreachable.join(', ')}).`,
    );
  }
  (reachable ? test : test.skip)(`${label}: built completely from its Dockerfile; --version runs in a session`, async () => {
    await ready;
    await ensureDriverImage(backend, catalog, driver, (line) => say(`${label}: ${line}`), hostBuildArgs());
    const session = await sessions.create(owner, { driver: name, name: `v-${label}` });
    const res = await sh(session, driver.manifest.tool!.version_command.map((a) => `'${a}'`).join(' '));
    assert.is(res.code, 0, res.err);
    assert.match(res.out, /\d+\.\d+/);
    say(`${label}: ${driver.manifest.tool!.version_command.join(' ')} -> ${res.out.trim()}`);
  });
}

test('sensitive variables reach only the tool (mai-tool-env), never the container env or docker inspect', async () => {
  await ready;
  const secret = `sk-${runId}-secret`;
  const session = await sessions.create(owner, { driver: 'my-tool', name: 'secret', env: { MY_TOOL_TOKEN: secret } });
  const inspect = await docker(['inspect', session.containerId!]);
  assert.not.ok(inspect.stdout.includes(secret), 'docker inspect');
  assert.ok(session.spec.envKeys.includes('MY_TOOL_TOKEN'), 'the name is recorded, the value is not');
  assert.not.ok(JSON.stringify(await store.getSession(session.id)).includes(secret), 'the store');
  const plain = await sh(session, 'env; stat -c "%a %U" /run/mai/secrets/env/MY_TOOL_TOKEN');
  assert.not.ok(plain.out.includes(secret), 'the session shell environment');
  assert.ok(plain.out.endsWith('400 mai\n'), plain.out);
  const tool = await sh(session, 'mai-tool-env printenv MY_TOOL_TOKEN');
  assert.is(tool.out, `${secret}\n`);
  // The wrapper put in place of the tool's command does the same.
  assert.is((await sh(session, 'head -2 "$(command -v jq)"')).out.includes('mai-tool-env'), true);
});

test('persist: a named volume per (user, driver) keeps tool settings across sessions and survives close', async () => {
  await ready;
  const driver = catalog.get('opencode');
  await ensureDriverImage(backend, catalog, driver, () => {}, hostBuildArgs());
  const first = await sessions.create(owner, { driver: 'opencode', name: 'p1' });
  const path = driver.manifest.persist[0]!.path;
  assert.is((await sh(first, `echo kept-${runId} > ${path}/auth-test && stat -c %U ${path}`)).out, 'mai\n');
  await sessions.close(first);
  const volume = persistVolumeName(owner.name, 'opencode', path);
  const inspected = await docker(['volume', 'inspect', '-f', '{{json .Labels}}', volume]);
  assert.is(inspected.code, 0, 'the volume outlives the session');
  const labels = JSON.parse(inspected.stdout) as Record<string, string>;
  assert.is(labels['mai.owner'], owner.name);
  assert.is(labels['mai.driver'], 'opencode');
  const second = await sessions.create(owner, { driver: 'opencode', name: 'p2' });
  assert.is((await sh(second, `cat ${path}/auth-test`)).out, `kept-${runId}\n`);
  await sessions.close(second);
});

test('attach: the tool in a tmux window, a shell in another; re-attach finds them', async () => {
  await ready;
  const session = await sessions.create(owner, { driver: 'my-tool', name: 'attach' });
  const proc = await sessions.attach(session, { cols: 100, rows: 30, term: 'xterm-256color' });
  proc.stdout.resume();
  const windows = await eventually(async () => {
    const r = await sh(session, 'tmux list-windows -t mai -F "#{window_name}" 2>/dev/null');
    return r.out.includes('shell') ? r.out : undefined;
  }, 15_000, 'tmux windows');
  assert.equal(windows.trim().split('\n'), ['tool', 'shell']);
  // jq --help exits at once: its window turns into a shell instead of closing.
  const pane = await eventually(async () => {
    const r = await sh(session, 'tmux capture-pane -p -t mai:tool');
    return r.out.includes('this window is now a shell') ? r.out : undefined;
  }, 15_000, 'the tool window to become a shell');
  assert.match(pane, /jq exited/);
  await proc.kill();
  assert.is((await sh(session, 'tmux has-session -t mai && echo alive')).out, 'alive\n', 'the windows outlive the attach');
});

test.run();
