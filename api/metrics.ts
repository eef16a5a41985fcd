import type { FastifyInstance } from 'fastify';
import type { MetricsRegistry } from '../gateway/metrics/registry.js';

/**
 * The HTTP side's own series (requests by method, route and status, and their
 * total duration) in the process's registry, and `/metrics` rendering all of it.
 */
export function registerMetrics(app: FastifyInstance, registry: MetricsRegistry): void {
  const requests = registry.counter('mai_http_requests_total', 'HTTP requests handled.');
  const seconds = registry.counter('mai_http_request_duration_seconds_total', 'Time spent handling HTTP requests.');
  const started = Date.now() / 1000;
  registry.gauge('mai_process_start_time_seconds', 'Start time of the process since the epoch.', () => started);
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, not the URL: ids in paths would make one series per session.
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
    requests.inc(labels);
    seconds.inc(labels, reply.elapsedTime / 1000);
  });
  app.get('/metrics', async (_request, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(registry.render()));
}
