import type { FastifyInstance } from 'fastify';

/**
 * Prometheus text exposition for the HTTP side: requests by method, route and status,
 * and their total duration. A handful of counters needs no client library.
 */
export function registerMetrics(app: FastifyInstance): void {
  const requests = new Map<string, { labels: string; count: number; seconds: number }>();
  const started = Date.now() / 1000;
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, not the URL: ids in paths would make one series per session.
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = `method="${request.method}",route="${escape(route)}",status="${reply.statusCode}"`;
    const entry = requests.get(labels) ?? { labels, count: 0, seconds: 0 };
    entry.count++;
    entry.seconds += reply.elapsedTime / 1000;
    requests.set(labels, entry);
  });
  app.get('/metrics', async (_request, reply) => {
    const lines = [
      '# HELP mai_http_requests_total HTTP requests handled.',
      '# TYPE mai_http_requests_total counter',
      ...[...requests.values()].map((e) => `mai_http_requests_total{${e.labels}} ${e.count}`),
      '# HELP mai_http_request_duration_seconds_total Time spent handling HTTP requests.',
      '# TYPE mai_http_request_duration_seconds_total counter',
      ...[...requests.values()].map((e) => `mai_http_request_duration_seconds_total{${e.labels}} ${e.seconds.toFixed(6)}`),
      '# HELP mai_process_start_time_seconds Start time of the process since the epoch.',
      '# TYPE mai_process_start_time_seconds gauge',
      `mai_process_start_time_seconds ${started.toFixed(3)}`,
    ];
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(`${lines.join('\n')}\n`);
  });
}

function escape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
