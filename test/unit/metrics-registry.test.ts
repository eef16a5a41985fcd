import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MetricsRegistry } from '../../gateway/metrics/registry.js';

test('counters, gauges and histograms render as Prometheus text with HELP and TYPE', () => {
  const registry = new MetricsRegistry();
  const requests = registry.counter('mai_test_requests_total', 'Requests.');
  requests.inc({ route: '/a' });
  requests.inc({ route: '/a' }, 2);
  requests.inc({ route: 'say "hi"\n' });
  let open = 3;
  registry.gauge('mai_test_open', 'Open things.', () => open);
  const durations = registry.histogram('mai_test_seconds', 'Durations.', [0.1, 1]);
  durations.observe(0.05);
  durations.observe(0.5);
  durations.observe(5);
  open = 4;
  const text = registry.render();
  assert.match(text, '# HELP mai_test_requests_total Requests.\n# TYPE mai_test_requests_total counter\n');
  assert.match(text, 'mai_test_requests_total{route="/a"} 3\n');
  assert.match(text, 'mai_test_requests_total{route="say \\"hi\\"\\n"} 1\n');
  assert.match(text, 'mai_test_open 4\n');
  assert.match(text, 'mai_test_seconds_bucket{le="0.1"} 1\nmai_test_seconds_bucket{le="1"} 2\nmai_test_seconds_bucket{le="+Inf"} 3\n');
  assert.match(text, 'mai_test_seconds_sum 5.550000\nmai_test_seconds_count 3\n');
  assert.is(requests.get({ route: '/a' }), 3);
});

test('a metric name registered twice is a programming error', () => {
  const registry = new MetricsRegistry();
  registry.counter('mai_twice_total', 'x');
  assert.throws(() => registry.counter('mai_twice_total', 'x'), /registered twice/);
});

test.run();
