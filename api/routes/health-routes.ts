import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { SessionService } from '../../gateway/domain/session-service.js';

export interface HealthRoutesOptions {
  sessions: SessionService;
}

const statusSchema = z.object({ status: z.string() });

/** Liveness (the process answers) and readiness (the store and the engine answer); public. */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, { sessions }) => {
  app.get('/healthz', { schema: { summary: 'Liveness', response: { 200: statusSchema } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { summary: 'Readiness: store and container engine reachable', response: { 200: statusSchema } } }, async () => {
    // NOT_READY (503) naming what does not answer: STORE_UNAVAILABLE, DOCKER_UNAVAILABLE, or both.
    await sessions.ready();
    return { status: 'ready' };
  });
};
