import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService, Principal } from '../gateway/auth/auth-service.js';
import { MaiError, toMaiError } from '../gateway/errors.js';
import { readCookie, SESSION_COOKIE } from './cookies.js';
import { websocketBearer } from './websocket.js';

/** The header a cookie-authenticated request that changes state must carry (see BrowserSessions). */
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `requireAuth` before the body is even read; null on public routes. */
    principal: Principal | null;
    /** Why a WebSocket upgrade has no principal: answered after the handshake, as a close code. */
    authError: MaiError | null;
  }
}

/** Decorates requests with their principal; call once on the root instance. */
export function registerPrincipal(app: FastifyInstance): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('authError', null);
}

/**
 * Authenticates every request of the plugin it is added to. It runs on `onRequest`,
 * before the body is parsed: a stranger learns nothing from validation errors and
 * cannot make the server parse large bodies.
 *
 * Credentials, in order: `Authorization: Bearer`; on a WebSocket, a bearer token in
 * `Sec-WebSocket-Protocol` (browsers cannot set headers there, and a URL would end up
 * in logs); the web UI's cookie, with the CSRF header on anything but GET/HEAD/OPTIONS.
 * A WebSocket upgrade that fails here is still accepted, then closed with a code the
 * page can read (a refused handshake tells a browser nothing).
 */
export function requireAuth(app: FastifyInstance, auth: AuthService): void {
  app.addHook('onRequest', async (request) => {
    try {
      const principal = await authenticate(request, auth);
      // The request id travels with the actor into the facts this request causes.
      request.principal = { ...principal, actor: { ...principal.actor, via: `http:${request.id}` } };
    } catch (err) {
      if (!request.ws) throw err;
      request.authError = toMaiError(err);
    }
  });
}

export function principalOf(request: FastifyRequest): Principal {
  if (request.authError) throw request.authError;
  if (!request.principal) throw new MaiError('AUTH_REQUIRED', 'authentication required');
  return request.principal;
}

async function authenticate(request: FastifyRequest, auth: AuthService): Promise<Principal> {
  const bearer = bearerToken(request) ?? (request.ws ? websocketBearer(request) : undefined);
  const cookie = readCookie(request, SESSION_COOKIE);
  if (bearer !== undefined || cookie === undefined) return auth.authenticate(bearer);
  const principal = await auth.browser.authenticate(cookie);
  const presented = request.headers[CSRF_HEADER];
  if (!SAFE_METHODS.has(request.method) && !auth.browser.csrfMatches(cookie, typeof presented === 'string' ? presented : undefined)) {
    throw new MaiError('AUTH_FORBIDDEN', `missing or wrong ${CSRF_HEADER} header: a signed-in page sends it with every change`);
  }
  return principal;
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer[ ]+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}
