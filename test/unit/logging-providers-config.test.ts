import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { packageRoot } from '../../drivers/package-root.js';
import { validateConfig } from '../../gateway/config/load-yaml.js';
import { serviceConfigSchema } from '../../gateway/config/service-config.js';
import { DriverCatalog, readDriver } from '../../gateway/domain/driver-catalog.js';
import { logForwarding, sessionTelemetry, tracingEnv } from '../../gateway/domain/session-telemetry.js';
import { thrownBy } from '../helpers/errors.js';
import { tempDir } from '../helpers/tmp.js';

/** `logging.providers` as operators write it, and what sessions get from it. */
const dir = tempDir();
test.after(() => dir.remove());

function providers(list: unknown[], env: Record<string, string> = {}) {
  return validateConfig(serviceConfigSchema, { logging: { providers: list } }, 'mai-service.yaml', env).logging.providers;
}

function refusal(list: unknown[]): string {
  return thrownBy(() => providers(list)).message;
}

test('the spec format: fluentd (tcp URL, tag) and langfuse (url, keys), secrets from ${VAR}, defaults filled in', () => {
  const [fluentd, langfuse] = providers(
    [
      { type: 'fluentd', url: 'tcp://fluentd.example.com:24224' },
      { type: 'langfuse', url: 'https://cloud.langfuse.com/', publicKey: 'pk-lf-1', secretKey: '${LANGFUSE_SECRET_KEY}' },
    ],
    { LANGFUSE_SECRET_KEY: 'sk-lf-from-env' },
  );
  assert.equal(fluentd, { type: 'fluentd', url: 'tcp://fluentd.example.com:24224', tag: 'mai', ack: true, queueSize: 10_000 });
  assert.equal(langfuse, {
    type: 'langfuse',
    url: 'https://cloud.langfuse.com',
    publicKey: 'pk-lf-1',
    secretKey: 'sk-lf-from-env',
    sessionExport: true,
    queueSize: 10_000,
  });
});

test('bad providers: one line naming the dotted path', () => {
  assert.is(refusal([{ type: 'splunk', url: 'x' }]), 'mai-service.yaml: logging.providers.0.type: unknown provider type (expected fluentd or langfuse)');
  assert.is(refusal([{ type: 'fluentd', url: 'http://fluentd:24224' }]), 'mai-service.yaml: logging.providers.0.url: expected tcp://HOST:PORT (the Fluent forward listener)');
  assert.is(refusal([{ type: 'fluentd', url: 'tcp://fluentd' }]), 'mai-service.yaml: logging.providers.0.url: expected tcp://HOST:PORT (the Fluent forward listener)');
  assert.match(refusal([{ type: 'langfuse', url: 'ftp://x', publicKey: 'p', secretKey: 's' }]), 'logging.providers.0.url: expected an http(s) URL');
  assert.match(refusal([{ type: 'langfuse', url: 'https://x' }]), 'logging.providers.0.publicKey');
  assert.match(refusal([{ type: 'fluentd', url: 'tcp://a:1', tag: 'a{{.Name}}' }]), 'logging.providers.0.tag');
  assert.match(refusal([{ type: 'fluentd', url: 'tcp://a:1' }, { type: 'fluentd', url: 'tcp://b:2' }]), 'logging.providers.1.type: fluentd is configured twice');
  // The spec's sketch had `apiKey`; Langfuse needs a key pair.
  assert.match(refusal([{ type: 'langfuse', url: 'https://x', apiKey: 'k' }]), 'logging.providers.0');
  const unset = thrownBy(() => providers([{ type: 'langfuse', url: 'https://x', publicKey: 'p', secretKey: '${LF_SECRET}' }]));
  assert.is(unset.message, 'mai-service.yaml: logging.providers.0.secretKey: environment variable LF_SECRET is not set');
});

test('session output to Fluentd: tag TAG.OWNER.SESSION, the session labels on every record', () => {
  const telemetry = sessionTelemetry(providers([{ type: 'fluentd', url: 'tcp://127.0.0.1:24224', tag: 'acme' }]));
  assert.equal(logForwarding(telemetry, 'alice', 'abcdefghij'), {
    driver: 'fluentd',
    address: 'tcp://127.0.0.1:24224',
    tag: 'acme.alice.abcdefghij',
    labels: ['mai.session', 'mai.owner', 'mai.driver'],
    ack: true,
  });
  assert.is(logForwarding(sessionTelemetry([]), 'alice', 'abcdefghij'), undefined);
});

test('tool traces: OTLP to Langfuse with the keys as basic auth, or the native variables; nothing without both sides', () => {
  const telemetry = sessionTelemetry(providers([{ type: 'langfuse', url: 'https://lf.example.com', publicKey: 'pk', secretKey: 'sk' }]));
  const ids = { session: 'abcdefghij', owner: 'alice', driver: 'claude-code' };
  assert.equal(tracingEnv({ export: 'otlp', env: { CLAUDE_CODE_ENABLE_TELEMETRY: '1' } }, telemetry, ids), {
    CLAUDE_CODE_ENABLE_TELEMETRY: '1',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'https://lf.example.com/api/public/otel',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Basic ${Buffer.from('pk:sk').toString('base64')}`,
    OTEL_RESOURCE_ATTRIBUTES: 'mai.session=abcdefghij,mai.owner=alice,mai.driver=claude-code',
  });
  const native = tracingEnv({ export: 'langfuse', env: {} }, telemetry, ids);
  assert.is(native.LANGFUSE_PUBLIC_KEY, 'pk');
  assert.is(native.LANGFUSE_SECRET_KEY, 'sk');
  assert.is(native.LANGFUSE_HOST, 'https://lf.example.com');
  assert.equal(tracingEnv(undefined, telemetry, ids), {});
  assert.equal(tracingEnv({ export: 'otlp', env: {} }, sessionTelemetry([]), ids), {});
  const optedOut = sessionTelemetry(providers([{ type: 'langfuse', url: 'https://x', publicKey: 'pk', secretKey: 'sk', sessionExport: false }]));
  assert.equal(tracingEnv({ export: 'otlp', env: {} }, optedOut, ids), {});
});

test('driver manifests: `tracing` is validated; claude-code and opencode export OTLP, goose its native variables', () => {
  const catalog = new DriverCatalog(join(packageRoot(), 'drivers'));
  assert.is(catalog.get('claude-code').manifest.tracing?.export, 'otlp');
  assert.is(catalog.get('claude-code').manifest.tracing?.env.CLAUDE_CODE_ENABLE_TELEMETRY, '1');
  assert.is(catalog.get('opencode').manifest.tracing?.export, 'otlp');
  assert.is(catalog.get('goose').manifest.tracing?.export, 'langfuse');
  assert.is(catalog.get('base').manifest.tracing, undefined);
  const path = join(dir.path, 'bad-tracing');
  mkdirSync(path);
  writeFileSync(join(path, 'mai-driver.yaml'), 'name: bad-tracing\ntracing:\n  export: zipkin\n');
  writeFileSync(join(path, 'Dockerfile'), 'FROM mai/base:latest\n');
  const err = thrownBy(() => readDriver(path));
  assert.is(err.code, 'DRIVER_INVALID');
  assert.match(err.message, 'tracing.export');
});

test.run();
