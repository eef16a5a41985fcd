import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import type { AuthService } from '../../gateway/auth/auth-service.js';
import type { LoginFlows } from '../../gateway/auth/login-flows.js';
import { limitRequests } from '../rate-limiter.js';
import { principalOf, requireAuth } from '../principal.js';
import {
  callbackRequestSchema,
  deviceStartSchema,
  deviceTokenRequestSchema,
  loginRequestSchema,
  loginStartSchema,
  logoutRequestSchema,
  refreshRequestSchema,
  sshCertRequestSchema,
  sshCertSchema,
  tokenPairSchema,
  whoamiSchema,
} from '../schemas.js';

export interface AuthRoutesOptions {
  auth: AuthService;
  flows: LoginFlows;
  rateLimit: { max: number; windowSeconds: number };
}

/** Auth requests are small; anything bigger is a mistake or an attack. */
const AUTH_BODY_LIMIT = 16 * 1024;

/**
 * /auth/*: login (code + PKCE, device), refresh, logout, certificates. Every route
 * here is rate-limited: they talk to the identity provider or mint credentials, the two
 * things worth hammering. Before login per client address (`server.trustProxy` decides
 * whose address that is), after it per user.
 */
export const authRoutes: FastifyPluginAsync<AuthRoutesOptions> = async (app, { auth, flows, rateLimit }) => {
  // Per client address: these talk to the identity provider or start logins, before anyone is known.
  await app.register(async (open) => {
    limitRequests(open, rateLimit);

    open.post<{ Body: z.infer<typeof loginRequestSchema> }>(
      '/auth/login',
      { bodyLimit: AUTH_BODY_LIMIT, schema: { summary: 'Start a browser login (authorization code + PKCE)', body: loginRequestSchema, response: { 200: loginStartSchema } } },
      async (request) => flows.startLogin(request.body.redirectUri),
    );

    open.post<{ Body: z.infer<typeof callbackRequestSchema> }>(
      '/auth/callback',
      { bodyLimit: AUTH_BODY_LIMIT, schema: { summary: 'Finish a browser login with the redirect query', body: callbackRequestSchema, response: { 200: tokenPairSchema } } },
      async (request) => {
        const { binding, ...params } = request.body;
        return flows.finishLogin(stringEntries(params), binding);
      },
    );

    open.post(
      '/auth/device',
      { bodyLimit: AUTH_BODY_LIMIT, schema: { summary: 'Start a device-code login (no browser here)', response: { 200: deviceStartSchema } } },
      async () => flows.startDevice(),
    );

    open.post<{ Body: z.infer<typeof deviceTokenRequestSchema> }>(
      '/auth/device/token',
      {
        bodyLimit: AUTH_BODY_LIMIT,
        schema: { summary: 'Poll a device-code login; AUTH_PENDING until approved', body: deviceTokenRequestSchema, response: { 200: tokenPairSchema } },
      },
      async (request) => flows.pollDevice(request.body.deviceCode),
    );

    open.post<{ Body: z.infer<typeof refreshRequestSchema> }>(
      '/auth/refresh',
      { bodyLimit: AUTH_BODY_LIMIT, schema: { summary: 'Rotate a refresh token', body: refreshRequestSchema, response: { 200: tokenPairSchema } } },
      async (request) => auth.refresh(request.body.refreshToken),
    );
  });

  // Routes below need a token; registered in their own scope so the hook covers only them.
  await app.register(async (authed) => {
    requireAuth(authed, auth);
    // Per user once we know who it is: behind a proxy (or a NAT) many users share one address.
    limitRequests(authed, rateLimit, (request) => `user:${principalOf(request).actor.name}`);

    authed.get('/auth/me', { schema: { summary: 'Who the token belongs to', auth: true, response: { 200: whoamiSchema } } }, async (request) => {
      const { actor } = principalOf(request);
      return { user: actor.name, admin: actor.admin };
    });

    authed.post<{ Body: z.infer<typeof logoutRequestSchema> }>(
      '/auth/logout',
      { bodyLimit: AUTH_BODY_LIMIT, schema: { summary: "Revoke this login's tokens and certificates", auth: true, body: logoutRequestSchema } },
      async (request, reply) => {
        await auth.logout(principalOf(request), request.body?.everywhere ?? false);
        return reply.code(204).send();
      },
    );

    authed.post<{ Body: z.infer<typeof sshCertRequestSchema> }>(
      '/auth/ssh-cert',
      {
        bodyLimit: AUTH_BODY_LIMIT,
        schema: { summary: 'Sign an SSH public key for the gateway', auth: true, body: sshCertRequestSchema, response: { 200: sshCertSchema } },
      },
      async (request) => auth.issueCertificate(principalOf(request), request.body.publicKey),
    );
  });
};

function stringEntries(body: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string'));
}
