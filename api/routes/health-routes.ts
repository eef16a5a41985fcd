import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { SessionService } from '../../gateway/domain/session-service.js';
import { MaiError } from '../../gateway/errors.js';

export interface HealthRoutesOptions {
  sessions: SessionService;
}

const statusSchema = z.object({ status: z.string() });

/** Liveness (the process answers) and readiness (the store and the engine answer); public. */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, { sessions }) => {
  app.get('/healthz', { schema: { summary: 'Liveness', response: { 200: statusSchema } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { summary: 'Readiness: store and container engine reachable', response: { 200: statusSchema } } }, async () => {
    try {
      await sessions.ready();
    } catch (err) {
      throw new MaiError('NOT_READY', 'store or container engine not reachable', { cause: err });
    }
    return { status: 'ready' };
  });
};
