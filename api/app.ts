import Fastify, { type FastifyInstance } from 'fastify';
import type { SessionService } from '../gateway/domain/session-service.js';

export interface ApiDependencies {
  sessions: SessionService;
}

/**
 * The HTTP side of `mai serve`. Routes are plugins that receive the domain core;
 * this file only assembles them.
 */
export async function buildApi(deps: ApiDependencies): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await deps.sessions.ready();
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ code: 'NOT_READY', message: 'store or Docker not reachable' });
    }
  });
  return app;
}
