import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jsonLogger } from '../../gateway/log.js';
import { docker } from '../docker/docker-fixtures.js';
import { FluentReceiver } from '../helpers/fluent-receiver.js';
import { GatewayHarness, type SshUser } from '../helpers/gateway-harness.js';
import { LangfuseReceiver } from '../helpers/langfuse-receiver.js';
import { sample } from '../helpers/metrics.js';
import { eventually } from '../helpers/run.js';

/**
 * `mai serve` with both providers configured, driven by the real OpenSSH client:
 * audit events and session output at a Fluent forward receiver, one Langfuse
 * trace per session at an ingestion receiver, a Fluentd outage that blocks
 * nothing, the per-provider series in /metrics, and the secret key in no log.
 */
const test = suite('logging providers in mai serve');
const fluentd = new FluentReceiver();
const PUBLIC_KEY = 'pk-lf-serve';
const SECRET_KEY = `sk-lf-serve-${process.pid}-do-not-log`;
const langfuse = new LangfuseReceiver(PUBLIC_KEY, SECRET_KEY);
const serverLog: string[] = [];
let gw: GatewayHarness;
let alice: SshUser;
let sessionId = '';

test.before(async () => {
  await fluentd.start();
  await langfuse.start();
  gw = new GatewayHarness(
    {
      logging: {
        providers: [
          { type: 'fluentd', url: fluentd.url },
          { type: 'langfuse', url: langfuse.url, publicKey: PUBLIC_KEY, secretKey: SECRET_KEY },
        ],
      },
    },
    { log: jsonLogger((line) => serverLog.push(line)), providerBackoff: { initialMs: 100, maxMs: 2000 } },
  );
  await gw.start();
  alice = await gw.user('alice');
});
test.after(async () => {
  await gw?.stop();
  await fluentd.stop();
  await langfuse.stop();
});

function audit(event: string, match: (record: Record<string, unknown>) => boolean = () => true) {
  return eventually(async () => fluentd.tagged('mai.server.audit').find((e) => e.record.event === event && match(e.record)), 20_000, `${event} at Fluentd`);
}

test('an SSH refusal (with its reason) and a session creation arrive at Fluentd as audit events', async () => {
  // alice's certificate offered for the login "bob": refused.
  const refused = await gw.ssh(alice, 'bob', ['ls']);
  assert.is(refused.code, 255);
  const refusal = await audit('auth.refused', (r) => r.user === 'bob');
  assert.ok(typeof refusal.record.reason === 'string' && refusal.record.reason.length > 0, JSON.stringify(refusal.record));
  assert.ok(typeof refusal.record.conn === 'string', 'with the connection id');

  const created = await gw.ssh(alice, 'alice', ['new', '--name', 'logged']);
  assert.is(created.code, 0, created.stderr);
  sessionId = created.stdout.trim();
  const event = await audit('session.created', (r) => r.session === sessionId);
  assert.equal([event.record.owner, event.record.driver, event.record.level], ['alice', 'base', 'info']);
});

test('a line printed in the session arrives tagged mai.alice.SESSION within seconds', async () => {
  const r = await gw.ssh(alice, 'alice', [sessionId, 'echo printed-by-alice > /proc/1/fd/1']);
  assert.is(r.code, 0, r.stderr);
  const line = await eventually(async () => fluentd.tagged(`mai.alice.${sessionId}`).find((e) => e.record.log === 'printed-by-alice'), 20_000, 'the line');
  assert.is(line.record['mai.session'], sessionId);
  assert.is(line.record['mai.owner'], 'alice');
});

test('Langfuse gets one trace for the session: userId the owner, sessionId the session, with its connects, execs and close', async () => {
  const closed = await gw.ssh(alice, 'alice', ['close', sessionId]);
  assert.is(closed.code, 0, closed.stderr);
  await eventually(async () => langfuse.ofType('event-create').some((i) => i.body.traceId === sessionId && i.body.name === 'session.closed'), 20_000, 'the close in Langfuse');
  const traces = langfuse.ofType('trace-create').filter((i) => i.body.id === sessionId);
  assert.ok(traces.length > 0 && traces.every((t) => t.body.userId === 'alice' && t.body.sessionId === sessionId), JSON.stringify(traces));
  const names = langfuse.ofType('event-create').filter((i) => i.body.traceId === sessionId).map((i) => i.body.name);
  for (const name of ['session.created', 'session.connect', 'channel.command', 'channel.exit', 'session.closed']) assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
  assert.is(langfuse.unauthorized, 0);
});

test('Fluentd down: sessions still start and their logs still read; the events of the outage arrive when it is back', async () => {
  await fluentd.stop();
  let id = '';
  try {
    const created = await gw.ssh(alice, 'alice', ['new', '--name', 'during-outage']);
    assert.is(created.code, 0, created.stderr);
    id = created.stdout.trim();
    assert.is((await gw.ssh(alice, 'alice', [id, 'echo in-the-outage > /proc/1/fd/1'])).code, 0);
    const logs = await eventually(async () => {
      const r = await gw.ssh(alice, 'alice', ['logs', id]);
      return r.stdout.includes('in-the-outage') ? r : null;
    }, 20_000, 'mai session logs (ssh logs) during the outage');
    assert.is(logs.code, 0, logs.stderr);
  } finally {
    await fluentd.start();
  }
  await audit('session.created', (r) => r.session === id);
  await eventually(async () => fluentd.tagged(`mai.alice.${id}`).some((e) => e.record.log === 'in-the-outage'), 60_000, 'the session output of the outage');
  assert.ok(serverLog.some((l) => l.includes('logging.provider_unreachable') && l.includes('fluentd')), 'the outage is in the operator log');
});

test('/metrics: forwarded and dropped events per provider', async () => {
  const text = await (await fetch(`http://127.0.0.1:${gw.server.httpPort}/metrics`)).text();
  const value = (series: string) => sample(text, series);
  assert.ok(value('mai_logging_forwarded_total{provider="fluentd"}') > 0, text);
  assert.ok(value('mai_logging_forwarded_total{provider="langfuse"}') > 0, text);
  assert.is(value('mai_logging_dropped_total{provider="fluentd",reason="overflow"}'), 0);
  assert.is(value('mai_logging_dropped_total{provider="langfuse",reason="overflow"}'), 0);
});

test('the secret key appears in no log: operator log, audit log, Fluentd, Langfuse payloads, the containers', async () => {
  const inspected = (await docker(['ps', '-aq', '--filter', 'label=mai.owner=alice'])).stdout.split('\n').filter(Boolean);
  const inspect = inspected.length ? (await docker(['inspect', ...inspected])).stdout : '';
  const places: Record<string, string> = {
    'operator log': serverLog.join(''),
    'audit log': readFileSync(gw.auditFile, 'utf8'),
    fluentd: JSON.stringify(fluentd.events),
    'langfuse payloads': JSON.stringify(langfuse.items),
    'docker inspect': inspect,
  };
  for (const [where, text] of Object.entries(places)) assert.not.ok(text.includes(SECRET_KEY), where);
  // It did travel, where it belongs: as basic auth to Langfuse.
  assert.ok(langfuse.authorizations.every((a) => a === `Basic ${Buffer.from(`${PUBLIC_KEY}:${SECRET_KEY}`).toString('base64')}`));
});

test.run();
