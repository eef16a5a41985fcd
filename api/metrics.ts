import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { MetricsRegistry } from '../gateway/metrics/registry.js';

/** Who may read `/metrics`, and where. */
export interface MetricsAccess {
  /** When set, only requests bearing `Authorization: Bearer <token>` (`server.metricsToken`). */
  token?: string;
  /** False when `/metrics` has an address of its own (`server.metricsListen`): not served by the API then. */
  onApi?: boolean;
}

/**
 * The HTTP side's own series (requests by method, route and status, and their
 * total duration) in the process's registry, and `/metrics` rendering all of it
 * (unless it is served on its own address: `buildMetricsServer`).
 */
export function registerMetrics(app: FastifyInstance, registry: MetricsRegistry, access: MetricsAccess = {}): void {
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
  if (access.onApi ?? true) app.get('/metrics', metricsHandler(registry, access.token));
}

/**
 * `/metrics` alone, for `server.metricsListen` (an address the operator keeps for the
 * scraper, e.g. loopback or an internal network). The caller listens and closes it.
 */
export async function buildMetricsServer(registry: MetricsRegistry, token: string | undefined): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.get('/metrics', metricsHandler(registry, token));
  await app.ready();
  return app;
}

function metricsHandler(registry: MetricsRegistry, token: string | undefined) {
  const expected = token === undefined ? null : digest(token);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (expected && !matches(request.headers.authorization, expected)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .type('application/json')
        .send(JSON.stringify({ code: 'AUTH_REQUIRED', message: '/metrics needs the metrics token (Authorization: Bearer ...)' }));
    }
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(registry.render());
  };
}

/** Compared as digests, in constant time: the token's length and bytes stay unknown to a prober. */
function matches(header: string | undefined, expected: Buffer): boolean {
  const presented = header ? /^Bearer[ ]+(\S+)\s*$/i.exec(header)?.[1] : undefined;
  return presented !== undefined && timingSafeEqual(digest(presented), expected);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
