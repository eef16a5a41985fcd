import { LOCAL_POLICY } from '../../gateway/domain/policy.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { packageRoot } from '../../drivers/package-root.js';
import { DockerBackend } from '../../gateway/backend/docker-backend.js';
import { validateConfig } from '../../gateway/config/load-yaml.js';
import { loggingProvidersSchema } from '../../gateway/config/logging-providers.js';
import { DriverCatalog } from '../../gateway/domain/driver-catalog.js';
import { SessionService } from '../../gateway/domain/session-service.js';
import { sessionTelemetry } from '../../gateway/domain/session-telemetry.js';
import type { Actor, SessionRecord } from '../../gateway/domain/types.js';
import { openStore } from '../../gateway/store/open-store.js';
import type { Store } from '../../gateway/store/store.js';
import { errorCode } from '../helpers/errors.js';
import { FluentReceiver } from '../helpers/fluent-receiver.js';
import { eventually } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { collect, docker, ensureBaseImage, newRunId, run, TEST_LABEL } from '../docker/docker-fixtures.js';

/**
 * Session containers and the logging providers, on the real engine: output through
 * Docker's own fluentd log driver (from the daemon to a forward receiver on
 * loopback), the local copy that `mai session logs` reads (dual logging) and its
 * bound, and a tracing driver's Langfuse settings placed as secret files.
 */
const test = suite('session logging');
const runId = newRunId();
const dir = tempDir('mai-logging-');
const backend = new DockerBackend();
const receiver = new FluentReceiver();
const SECRET_KEY = `sk-lf-${runId}-session-secret`;
const alice: Actor = { name: `log${runId}`, admin: false };
let store: Store;
let forwarding: SessionService;
let plain: SessionService;

/** A driver on the base image that declares how its tool exports traces. */
function tracedDriver(): string {
  const path = join(dir.path, 'traced');
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'Dockerfile'), 'FROM mai/base:latest\n');
  writeFileSync(
    join(path, 'mai-driver.yaml'),
    `name: traced-${runId}\nimage: mai/base:latest\ntracing:\n  export: otlp\n  env:\n    MY_TOOL_TELEMETRY: 1\n`,
  );
  return path;
}

function service(providers: unknown[]): SessionService {
  const config = validateConfig(loggingProvidersSchema, providers, '(test)', {});
  return new SessionService({
    store,
    backend,
    drivers: new DriverCatalog(join(packageRoot(), 'drivers'), [tracedDriver()]),
    instanceId: `logging-${runId}`,
    defaultDriver: 'base',
    network: 'mai-test',
    policy: LOCAL_POLICY,
    telemetry: sessionTelemetry(config),
  });
}

async function shell(session: SessionRecord, script: string): Promise<{ out: string; code: number }> {
  const res = await run(backend, session.containerId!, ['bash', '-c', script]);
  return { out: res.stdout + res.stderr, code: res.code };
}

/** What the session's entrypoint would print: a line on the container's own stdout. */
function print(session: SessionRecord, line: string): Promise<unknown> {
  return shell(session, `echo '${line}' > /proc/1/fd/1`);
}

async function logsOf(sessions: SessionService, session: SessionRecord): Promise<string> {
  return (await collect(await sessions.logs(session, { follow: false }))).toString();
}

test.before(async () => {
  await ensureBaseImage(backend);
  await receiver.start();
  store = await openStore({ dataDir: dir.path });
  forwarding = service([
    { type: 'fluentd', url: receiver.url },
    { type: 'langfuse', url: 'http://127.0.0.1:9', publicKey: 'pk-lf-session', secretKey: SECRET_KEY },
  ]);
  plain = service([]);
});
test.after(async () => {
  if (store) for (const s of await store.listSessions()) await forwarding.close(s).catch(() => {});
  const leftovers = (await docker(['ps', '-aq', '--filter', `label=${TEST_LABEL}=${runId}`])).stdout.split('\n').filter(Boolean);
  if (leftovers.length) await docker(['rm', '-f', ...leftovers]);
  await store?.close();
  await receiver.stop();
  dir.remove();
});

test('a line printed in a session arrives at Fluentd tagged mai.OWNER.SESSION, with the session labels', async () => {
  const session = await forwarding.create(alice, { name: 'printer' });
  const line = `hello-from-${session.id}`;
  await print(session, line);
  const tag = `mai.${alice.name}.${session.id}`;
  const event = await eventually(async () => receiver.tagged(tag).find((e) => e.record.log === line), 15_000, 'the line at the receiver');
  assert.is(event.record['mai.session'], session.id);
  assert.is(event.record['mai.owner'], alice.name);
  assert.is(event.record['mai.driver'], 'base');
  assert.is(event.record.source, 'stdout');
  // The local copy (dual logging) is what `mai session logs` reads.
  assert.match(await logsOf(forwarding, session), line);
  await forwarding.close(session);
});

test('with Fluentd down, a session starts, its logs are read from the local copy, and its output arrives when Fluentd is back', async () => {
  await receiver.stop();
  let session: SessionRecord;
  try {
    session = await forwarding.create(alice, { name: 'outage' });
    assert.is((await shell(session, 'seq 1 500 | sed "s/^/during /" > /proc/1/fd/1; echo printed')).out, 'printed\n');
    await eventually(async () => (await logsOf(forwarding, session)).includes('during 500'), 15_000, 'the local copy');
  } finally {
    await receiver.start();
  }
  await print(session, 'printed-after-the-outage');
  const arrived = await eventually(
    async () => (receiver.events.some((e) => e.record.log === 'printed-after-the-outage') ? receiver.tagged(`mai.${alice.name}.${session.id}`) : null),
    60_000,
    'output after the outage',
  );
  const during = arrived.map((e) => e.record.log).filter((line) => String(line).startsWith('during '));
  assert.is(during.length, 500, 'every line written during the outage, once');
  await forwarding.close(session);
});

test('with Fluentd down, a session that prints without end is never blocked; the local copy keeps every line', async () => {
  await receiver.stop();
  try {
    const session = await forwarding.create(alice, { name: 'flood' });
    // More than the engine buffers for Fluentd: its driver stalls, the session's writes must not.
    // A blocked writer would hang here: fail instead.
    const flood = await Promise.race([
      shell(session, 'seq 1 150000 | sed "s/^/flood /" > /proc/1/fd/1; echo flooded'),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the session blocked writing its output')), 60_000).unref()),
    ]);
    assert.is(flood.out, 'flooded\n');
    await eventually(async () => (await logsOf(forwarding, session)).includes('flood 150000'), 30_000, 'the whole flood in the local copy');
    assert.is((await shell(session, 'echo still-here')).out, 'still-here\n');
    await forwarding.close(session);
  } finally {
    await receiver.start();
  }
});

test('the local log is bounded: json-file rotated without a provider, the dual-logging cache with Fluentd', async () => {
  const local = await plain.create(alice, { name: 'bounded-local' });
  const forwarded = await forwarding.create(alice, { name: 'bounded-fluentd' });
  const logConfig = async (s: SessionRecord) => JSON.parse((await docker(['inspect', '-f', '{{json .HostConfig.LogConfig}}', s.containerId!])).stdout) as {
    Type: string;
    Config: Record<string, string>;
  };
  const a = await logConfig(local);
  assert.is(a.Type, 'json-file');
  assert.equal([a.Config['max-size'], a.Config['max-file']], ['10m', '3']);
  const b = await logConfig(forwarded);
  assert.is(b.Type, 'fluentd');
  assert.equal(
    [b.Config['cache-max-size'], b.Config['cache-max-file'], b.Config['fluentd-async'], b.Config['fluentd-request-ack'], b.Config.mode],
    ['10m', '3', 'true', 'true', 'non-blocking'],
  );
  assert.is(b.Config.labels, 'mai.session,mai.owner,mai.driver');
  await plain.close(local);
  await forwarding.close(forwarded);
});

test('an engine with dual logging off: reading the logs is LOGS_UNAVAILABLE, not a Docker failure', async () => {
  const name = `mai-test-${runId}-nocache`;
  const created = await docker([
    'run', '-d', '--name', name, '--label', `${TEST_LABEL}=${runId}`,
    '--log-driver', 'fluentd', '--log-opt', `fluentd-address=${receiver.url}`, '--log-opt', 'fluentd-async=true',
    '--log-opt', 'cache-disabled=true', 'mai/base:latest', 'sh', '-c', 'echo hi; sleep 60',
  ]);
  assert.is(created.code, 0, created.stderr);
  assert.is(await errorCode(backend.logs(created.stdout.trim(), { follow: false, tail: 'all' })), 'LOGS_UNAVAILABLE');
  await docker(['rm', '-f', name]);
});

test('a driver that declares tracing gets the Langfuse settings as secret files for its tool, never as container env', async () => {
  const session = await forwarding.create(alice, { driver: `traced-${runId}`, name: 'traced' });
  const inspect = (await docker(['inspect', session.containerId!])).stdout;
  const basic = Buffer.from(`pk-lf-session:${SECRET_KEY}`).toString('base64');
  assert.not.ok(inspect.includes(SECRET_KEY) || inspect.includes(basic), 'docker inspect');
  assert.not.ok(inspect.includes('OTEL_EXPORTER_OTLP'), 'not even the variable names');
  const files = await shell(session, 'cd /run/mai/secrets/env && stat -c "%n %a %U" *');
  assert.match(files.out, 'OTEL_EXPORTER_OTLP_HEADERS 400 mai');
  assert.match(files.out, 'MY_TOOL_TELEMETRY 400 mai');
  assert.not.match((await shell(session, 'env')).out, 'OTEL_');
  const tool = await shell(session, 'mai-tool-env printenv OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_HEADERS OTEL_RESOURCE_ATTRIBUTES MY_TOOL_TELEMETRY');
  assert.is(
    tool.out,
    `http://127.0.0.1:9/api/public/otel\nAuthorization=Basic ${basic}\nmai.session=${session.id},mai.owner=${alice.name},mai.driver=traced-${runId}\n1\n`,
  );
  assert.not.ok((await logsOf(forwarding, session)).includes(SECRET_KEY), 'the session log');
  // A driver that declares nothing gets nothing.
  const other = await forwarding.create(alice, { name: 'untraced' });
  assert.is((await shell(other, 'ls /run/mai/secrets/env 2>/dev/null | wc -l')).out.trim(), '0');
  await forwarding.close(session);
  await forwarding.close(other);
});

test.run();
