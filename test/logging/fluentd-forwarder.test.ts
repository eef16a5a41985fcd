import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jsonLogger, withErrorSink } from '../../gateway/log.js';
import { FluentReceiver } from '../helpers/fluent-receiver.js';
import { ProviderBench } from '../helpers/provider-bench.js';
import { eventually } from '../helpers/run.js';

/**
 * The server's events to Fluentd, against a forward-protocol receiver on loopback:
 * tags and records, acknowledgements, an outage (the oldest dropped past the
 * queue's bound, with a counter; the rest arriving once Fluentd is back), and the
 * operational log's error lines.
 */
const test = suite('fluentd forwarder');
const receiver = new FluentReceiver();
let bench: ProviderBench;

function open(overrides: Record<string, unknown> = {}): void {
  bench = new ProviderBench({ type: 'fluentd', url: receiver.url, queueSize: 10, ...overrides });
}

test.before(async () => {
  await receiver.start();
});
test.after.each(async () => {
  await bench?.close(1000);
  await receiver.start().catch(() => {}); // running again for the next test
});
test.after(async () => {
  await receiver.stop();
});

test('every domain event arrives as an audit record tagged TAG.server.audit, acknowledged', async () => {
  open({ tag: 'acme.mai' });
  bench.bus.with({ conn: 'c1', ip: '127.0.0.1' }).emit('auth.refused', { user: 'mallory', reason: 'CERT_UNTRUSTED_CA' });
  bench.bus.emit('session.created', { session: 'abcdefghij', owner: 'alice', driver: 'base' });
  const events = await eventually(async () => (receiver.tagged('acme.mai.server.audit').length >= 2 ? receiver.tagged('acme.mai.server.audit') : null), 10_000, 'two audit events');
  const refused = events.find((e) => e.record.event === 'auth.refused')!;
  assert.equal(
    { user: refused.record.user, reason: refused.record.reason, conn: refused.record.conn, level: refused.record.level, audit: refused.record.audit },
    { user: 'mallory', reason: 'CERT_UNTRUSTED_CA', conn: 'c1', level: 'warn', audit: true },
  );
  assert.ok(Math.abs(refused.time * 1000 - Date.now()) < 60_000, 'the event time travels as the record time');
  assert.ok(receiver.acks >= 1, 'the client asked for acknowledgements');
  await eventually(async () => bench.series('mai_logging_forwarded_total{provider="fluentd"}') >= 2, 5000, 'the forwarded counter');
});

test('error lines of the operational log arrive tagged TAG.server.error; other lines stay local', async () => {
  open();
  const log = withErrorSink(jsonLogger(() => {}), bench.providers.onServerError).child({ component: 'test' });
  log.info('not.forwarded');
  log.error('session.discard_failed', { session: 'abcdefghij', error: 'boom' });
  const [error] = await eventually(async () => (receiver.tagged('mai.server.error').length ? receiver.tagged('mai.server.error') : null), 10_000, 'the error line');
  assert.is(error!.record.event, 'session.discard_failed');
  assert.is(error!.record.component, 'test');
  assert.is(error!.record.error, 'boom');
  assert.not.ok(receiver.events.some((e) => e.record.event === 'not.forwarded'));
});

test('an outage: events queue up to the bound (the oldest dropped and counted) and arrive when Fluentd is back', async () => {
  open({ queueSize: 10 });
  bench.bus.emit('connect', { n: 0 });
  await eventually(async () => receiver.events.some((e) => e.record.n === 0), 10_000, 'the connection to be up');
  await receiver.stop();
  const before = receiver.events.length;
  // Never blocks, never throws, whatever the peer's state.
  for (let n = 1; n <= 30; n++) bench.bus.emit('connect', { n });
  assert.ok(bench.series('mai_logging_dropped_total{provider="fluentd",reason="overflow"}') >= 20, bench.metricsText());
  assert.is(bench.series('mai_logging_queued{provider="fluentd"}'), 10);
  await receiver.start();
  const arrived = await eventually(
    async () => {
      const ns = receiver.events.slice(before).map((e) => e.record.n as number);
      return ns.includes(30) && ns.length >= 10 ? ns : null;
    },
    40_000,
    'the queued events after the outage',
  );
  // The newest ones, in order (what was in flight when Fluentd went may come along).
  const newest = arrived.filter((n) => n > 21);
  assert.equal(newest, [22, 23, 24, 25, 26, 27, 28, 29, 30]);
  assert.ok(new Set(arrived).size <= 11, `no more than the bound (+ the batch in flight): ${arrived.join(',')}`);
  assert.ok(bench.log.some((l) => l.includes('logging.provider_unreachable')), 'the outage is in the log');
});

test('close sends what is queued, within its bound', async () => {
  open();
  for (let n = 100; n < 105; n++) bench.bus.emit('disconnect', { n });
  await bench.close(5000);
  const ns = receiver.events.map((e) => e.record.n);
  for (let n = 100; n < 105; n++) assert.ok(ns.includes(n), `event ${n}`);
});

test('close with Fluentd gone gives up after its bound and counts what it dropped', async () => {
  open();
  await receiver.stop();
  for (let n = 200; n < 205; n++) bench.bus.emit('disconnect', { n });
  await bench.close(300);
  assert.is(bench.series('mai_logging_dropped_total{provider="fluentd",reason="shutdown"}'), 5);
});

test.run();
