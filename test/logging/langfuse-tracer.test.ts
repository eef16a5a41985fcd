import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LangfuseReceiver } from '../helpers/langfuse-receiver.js';
import { ProviderBench } from '../helpers/provider-bench.js';
import { eventually } from '../helpers/run.js';

/**
 * One Langfuse trace per session through the official SDK, against an HTTP
 * receiver of the ingestion API: the trace's ids, its events, the credentials
 * on the wire, and an outage (the batch sent again when Langfuse is back).
 */
const test = suite('langfuse tracer');
const PUBLIC_KEY = 'pk-lf-test';
const SECRET_KEY = 'sk-lf-tracer-secret';
const receiver = new LangfuseReceiver(PUBLIC_KEY, SECRET_KEY);
let bench: ProviderBench;

function open(overrides: Record<string, unknown> = {}): void {
  bench = new ProviderBench(
    { type: 'langfuse', url: receiver.url, publicKey: PUBLIC_KEY, secretKey: '${LF_SECRET}', queueSize: 20, ...overrides },
    { LF_SECRET: SECRET_KEY },
  );
}

test.before(async () => {
  await receiver.start();
});
test.after.each(async () => {
  await bench?.close(2000);
});
test.after(async () => {
  await receiver.stop();
});

test('a session is one trace: userId the owner, sessionId the session, its facts as events', async () => {
  open();
  const session = 'trace00001';
  bench.bus.emit('session.created', { session, owner: 'alice', driver: 'base', name: 'work', via: 'ssh' });
  const ssh = bench.bus.with({ conn: 'c7', user: 'alice' });
  ssh.emit('session.connect', { session, owner: 'alice', kind: 'exec', pty: false });
  ssh.emit('channel.command', { session, command: 'make test' });
  ssh.emit('channel.exit', { session, code: 0 });
  bench.bus.emit('auth.refused', { user: 'mallory', reason: 'CERT_UNTRUSTED_CA' }); // not a session fact
  bench.bus.emit('session.closed', { session, owner: 'alice', by: 'alice', reason: 'user' });
  await eventually(async () => receiver.ofType('event-create').some((i) => i.body.name === 'session.closed'), 15_000, 'the close event');

  const traces = receiver.ofType('trace-create').filter((i) => i.body.id === session);
  assert.ok(traces.length >= 1);
  for (const trace of traces) {
    assert.is(trace.body.userId, 'alice');
    assert.is(trace.body.sessionId, session);
  }
  const created = traces.find((t) => (t.body.metadata as Record<string, unknown> | undefined)?.driver === 'base');
  assert.ok(created, 'the created trace carries the driver');
  const events = receiver.ofType('event-create').filter((i) => i.body.traceId === session);
  assert.equal(
    events.map((e) => e.body.name),
    ['session.created', 'session.connect', 'channel.command', 'channel.exit', 'session.closed'],
  );
  const command = events.find((e) => e.body.name === 'channel.command')!;
  assert.equal(command.body.metadata, { conn: 'c7', user: 'alice', session, command: 'make test' });
  assert.not.ok(receiver.items.some((i) => JSON.stringify(i).includes('mallory')), 'only session facts');
  // The keys travel as basic auth, to Langfuse only, and never inside a payload.
  assert.is(receiver.unauthorized, 0);
  assert.not.ok(receiver.items.some((i) => JSON.stringify(i).includes(SECRET_KEY)));
  assert.is(bench.series('mai_logging_forwarded_total{provider="langfuse"}'), receiver.items.length);
});

test('an outage: the batch is sent again when Langfuse is back; past the bound the oldest are dropped and counted', async () => {
  open({ queueSize: 20 });
  await receiver.stop();
  const before = receiver.items.length;
  // 15 facts of one session = 15 events (+ 1 trace upsert for the one naming the owner): within the bound.
  bench.bus.emit('session.started', { session: 'outage0001', owner: 'bob' });
  for (let n = 1; n < 15; n++) bench.bus.emit('channel.command', { session: 'outage0001', command: `echo ${n}` });
  await eventually(async () => bench.log.some((l) => l.includes('logging.provider_unreachable')), 10_000, 'the outage noticed');
  await receiver.start();
  await eventually(async () => receiver.items.slice(before).filter((i) => i.type === 'event-create').length >= 15, 20_000, 'the events after the outage');
  const commands = receiver.items.slice(before).filter((i) => i.body.name === 'channel.command').map((i) => (i.body.metadata as { command: string }).command);
  assert.equal([...new Set(commands)], Array.from({ length: 14 }, (_, i) => `echo ${i + 1}`), 'all, in order');
  assert.is(bench.series('mai_logging_dropped_total{provider="langfuse",reason="overflow"}'), 0);

  await receiver.stop();
  for (let n = 0; n < 50; n++) bench.bus.emit('channel.exit', { session: 'outage0001', code: n });
  assert.ok(bench.series('mai_logging_dropped_total{provider="langfuse",reason="overflow"}') >= 30, bench.metricsText());
  await receiver.start();
  await eventually(async () => receiver.items.some((i) => i.type === 'event-create' && (i.body.metadata as { code?: number }).code === 49), 20_000, 'the newest event');
  // The first one was in flight when it failed (sent again, not dropped); the next oldest went.
  const codes = new Set(receiver.items.map((i) => (i.body.metadata as { code?: number } | undefined)?.code));
  for (let n = 1; n <= 30; n++) assert.not.ok(codes.has(n), `code ${n} was dropped`);
});

test('wrong keys: refused by Langfuse, retried, never blocking; the log says so without the key', async () => {
  open({ secretKey: 'sk-lf-wrong-secret' });
  bench.bus.emit('session.created', { session: 'badkey0001', owner: 'carol', driver: 'base' });
  await eventually(async () => receiver.unauthorized >= 2, 15_000, 'retries');
  const line = bench.log.find((l) => l.includes('logging.provider_unreachable') && l.includes('langfuse'));
  assert.ok(line, bench.log.join(''));
  assert.not.ok(bench.log.join('').includes('sk-lf-wrong-secret'));
});

test.run();
