import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService, Principal } from '../gateway/auth/auth-service.js';
import { MaiError } from '../gateway/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `requireAuth` before the body is even read; null on public routes. */
    principal: Principal | null;
  }
}

/** Decorates requests with their principal; call once on the root instance. */
export function registerPrincipal(app: FastifyInstance): void {
  app.decorateRequest('principal', null);
}

/**
 * Authenticates every request of the plugin it is added to. It runs on `onRequest`,
 * before the body is parsed: a stranger learns nothing from validation errors and
 * cannot make the server parse large bodies.
 */
export function requireAuth(app: FastifyInstance, auth: AuthService): void {
  app.addHook('onRequest', async (request) => {
    const principal = await auth.authenticate(bearerToken(request));
    // The request id travels with the actor into the facts this request causes.
    request.principal = { ...principal, actor: { ...principal.actor, via: `http:${request.id}` } };
  });
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new MaiError('AUTH_REQUIRED', 'authentication required');
  return request.principal;
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer[ ]+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}
