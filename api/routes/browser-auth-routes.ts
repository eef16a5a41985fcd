import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { AuthService } from '../../gateway/auth/auth-service.js';
import type { BrowserSignIn } from '../../gateway/auth/browser-sessions.js';
import type { LoginFlows } from '../../gateway/auth/login-flows.js';
import { MaiError, toMaiError } from '../../gateway/errors.js';
import { LOGIN_STATE_COOKIE, readCookie, SESSION_COOKIE, setCookie } from '../cookies.js';
import { principalOf, requireAuth } from '../principal.js';
import { limitRequests } from '../rate-limiter.js';
import { browserCallbackSchema, browserSessionSchema, tokenSignInSchema } from '../schemas.js';
import type { WebOrigin } from '../web-origin.js';

export interface BrowserAuthRoutesOptions {
  auth: AuthService;
  flows: LoginFlows;
  origin: WebOrigin;
  rateLimit: { max: number; windowSeconds: number };
}

/** Where the identity provider sends the browser back; register `<publicUrl>` + this with the provider. */
export const UI_CALLBACK_PATH = '/ui/auth/callback';
const LOGIN_STATE_PATH = '/ui/auth';
const LOGIN_STATE_SECONDS = 10 * 60;

/**
 * The web UI's sign-in, through the same AuthService and LoginFlows as the API: the
 * server runs the code flow with PKCE (its callback is its own), then sets a cookie
 * holding a browser token (see BrowserSessions). With `auth.provider: local` the page
 * posts a configured token instead. Logout revokes the sign-in's login.
 */
export const browserAuthRoutes: FastifyPluginAsync<BrowserAuthRoutesOptions> = async (app, { auth, flows, origin, rateLimit }) => {
  const browser = auth.browser;
  const cookieOptions = (request: FastifyRequest, path: string, maxAge: number) => ({ path, maxAge, secure: origin.secure(request) });
  const startSession = (request: FastifyRequest, reply: FastifyReply, signIn: BrowserSignIn) =>
    setCookie(reply, SESSION_COOKIE, signIn.token, cookieOptions(request, '/', Math.max(0, Math.floor((signIn.expiresAt.getTime() - Date.now()) / 1000))));

  app.get(
    '/ui/auth/session',
    { schema: { summary: "The web UI's sign-in: how to sign in, who is signed in, and the CSRF token for changes", response: { 200: browserSessionSchema } } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const cookie = readCookie(request, SESSION_COOKIE);
      const signedOut = { signIn: browser.signInMethod, user: null, admin: false, csrfToken: null };
      if (!cookie) return signedOut;
      try {
        const { actor } = await browser.authenticate(cookie);
        return { signIn: browser.signInMethod, user: actor.name, admin: actor.admin, csrfToken: browser.csrfToken(cookie) };
      } catch (err) {
        if (toMaiError(err).httpStatus !== 401) throw err;
        setCookie(reply, SESSION_COOKIE, '', cookieOptions(request, '/', 0));
        return signedOut;
      }
    },
  );

  // Everything below talks to the identity provider or mints a sign-in: rate-limited like /auth/*.
  await app.register(async (limited) => {
    limitRequests(limited, rateLimit);

    limited.get('/ui/auth/login', { schema: { summary: 'Web UI: sign in through the identity provider (redirects there)' } }, async (request, reply) => {
      if (browser.signInMethod !== 'oidc') return reply.redirect('/ui/', 303);
      const start = await flows.startLogin(`${origin.base(request)}${UI_CALLBACK_PATH}`, true);
      // The flow's binding lives in this browser's HttpOnly cookie: only this browser can finish the sign-in.
      setCookie(reply, LOGIN_STATE_COOKIE, start.binding, cookieOptions(request, LOGIN_STATE_PATH, LOGIN_STATE_SECONDS));
      return reply.header('cache-control', 'no-store').redirect(start.authorizationUrl, 303);
    });

    limited.get<{ Querystring: z.infer<typeof browserCallbackSchema> }>(
      UI_CALLBACK_PATH,
      { schema: { summary: 'Web UI: where the identity provider returns; sets the sign-in cookie', querystring: browserCallbackSchema } },
      async (request, reply) => {
        const bound = readCookie(request, LOGIN_STATE_COOKIE);
        setCookie(reply, LOGIN_STATE_COOKIE, '', cookieOptions(request, LOGIN_STATE_PATH, 0));
        try {
          const { error, error_description: description, ...params } = request.query;
          if (error) throw new MaiError('AUTH_FAILED', `the identity provider said no (${error}${description ? `: ${description}` : ''})`);
          // Login CSRF (RFC 6749 §10.12): the flow must come back to the browser that started it (its cookie holds the binding).
          if (!bound) throw new MaiError('AUTH_FAILED', 'this sign-in was not started in this browser (or took too long); start again');
          const signIn = await browser.signIn(await flows.redeemCode(definedEntries(params), bound));
          startSession(request, reply, signIn);
          return reply.header('cache-control', 'no-store').redirect('/ui/', 303);
        } catch (err) {
          const failure = toMaiError(err);
          return reply.code(failure.httpStatus).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(failurePage(failure));
        }
      },
    );

    limited.post<{ Body: z.infer<typeof tokenSignInSchema> }>(
      '/ui/auth/token',
      { bodyLimit: 16 * 1024, schema: { summary: 'Web UI, auth.provider local: sign in with a configured token; sets the sign-in cookie', body: tokenSignInSchema, response: { 200: browserSessionSchema } } },
      async (request, reply) => {
        // Login CSRF: another site must not sign this browser in as someone else.
        origin.check(request);
        const signIn = await browser.signInWithToken(request.body.token);
        startSession(request, reply, signIn);
        const { actor } = await browser.authenticate(signIn.token);
        return { signIn: browser.signInMethod, user: actor.name, admin: actor.admin, csrfToken: browser.csrfToken(signIn.token) };
      },
    );
  });

  await app.register(async (authed) => {
    requireAuth(authed, auth);
    authed.post('/ui/auth/logout', { schema: { summary: 'Web UI: sign out (the sign-in is revoked on every replica)', auth: true } }, async (request, reply) => {
      await browser.signOut(principalOf(request));
      setCookie(reply, SESSION_COOKIE, '', cookieOptions(request, '/', 0));
      return reply.code(204).send();
    });
  });
};

function definedEntries(query: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(query).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** The callback is a page the browser lands on, so its failure is a page too: the message and a way back. */
function failurePage(error: MaiError): string {
  const text = `${error.message} [${error.code}]`.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><meta charset="utf-8"><title>mai: sign-in failed</title><p>Sign-in failed: ${text}</p><p><a href="/ui/">Back to mai</a></p>\n`;
}
