import Fastify, { type FastifyInstance } from 'fastify';
import type { TlsMaterial } from '../keys/index.js';
import type { AuthService } from '../gateway/auth/auth-service.js';
import type { LoginFlows } from '../gateway/auth/login-flows.js';
import { noEvents, type Events } from '../gateway/domain/events.js';
import type { ProjectService } from '../gateway/domain/project-service.js';
import type { SessionService } from '../gateway/domain/session-service.js';
import type { ToolSettings } from '../gateway/domain/tool-settings.js';
import { silentLogger, type Logger } from '../gateway/log.js';
import { MetricsRegistry } from '../gateway/metrics/registry.js';
import { frameworkErrors, MAX_PARAM_LENGTH, registerErrorHandler } from './error-handler.js';
import { registerMetrics, type MetricsAccess } from './metrics.js';
import { registerOpenApi } from './openapi.js';
import { registerPrincipal } from './principal.js';
import { authRoutes } from './routes/auth-routes.js';
import { browserAuthRoutes } from './routes/browser-auth-routes.js';
import { driverRoutes } from './routes/driver-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { projectRoutes } from './routes/project-routes.js';
import { sessionRoutes, type SshEndpoint } from './routes/session-routes.js';
import { toolRoutes } from './routes/tool-routes.js';
import { uiRoutes } from './routes/ui-routes.js';
import { zodSerializerCompiler, zodValidatorCompiler } from './validation.js';
import { WebOrigin } from './web-origin.js';
import { registerWebSockets } from './websocket.js';

/** Default request body limit; a session request with a few env values fits many times over. */
export const DEFAULT_BODY_LIMIT = 256 * 1024;

export interface ApiDependencies {
  sessions: SessionService;
  /** /projects; left out when not given. */
  projects?: ProjectService;
  /** /providers and /mcp; left out when not given. */
  tools?: ToolSettings;
  auth: AuthService;
  flows: LoginFlows;
  ssh: SshEndpoint;
  /** Per client address, on /auth/*. */
  rateLimit: { max: number; windowSeconds: number };
  bodyLimit?: number;
  /** Serve HTTPS with this certificate (plain HTTP without). */
  tls?: TlsMaterial | null;
  /** fastify's `trustProxy`: whose X-Forwarded-* headers set `request.ip`, protocol and host. */
  trustProxy?: boolean | string | readonly string[];
  /** The process's metrics; `/metrics` renders it (a fresh one when not given). */
  metrics?: MetricsRegistry;
  /** The browser side: its public URL (`server.publicUrl`), the WebSocket keepalive, the built UI's folder. */
  web: { publicUrl?: string; keepaliveSeconds: number; uiRoot: string };
  /** Where the WebSocket routes' facts go (terminal attaches, refusals). */
  events?: Events;
  /** Who may read `/metrics`, and whether the API serves it at all. */
  metricsAccess?: MetricsAccess;
  log?: Logger;
}

/**
 * The HTTP side of `mai serve`. Routes are encapsulated plugins that receive the
 * domain core; this file only assembles them with the cross-cutting layers
 * (validation, errors, metrics, OpenAPI).
 *
 * Lifecycle: the caller owns the returned instance: `listen()` it or `inject()` into
 * it, and `close()` it (which does not close the dependencies).
 */
export async function buildApi(deps: ApiDependencies): Promise<FastifyInstance> {
  const options = {
    logger: false,
    bodyLimit: deps.bodyLimit ?? DEFAULT_BODY_LIMIT,
    return503OnClosing: true,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors,
    trustProxy: typeof deps.trustProxy === 'object' ? [...deps.trustProxy] : (deps.trustProxy ?? false),
  };
  // fastify types an HTTPS instance apart; the routes are the same, so it is used as one type.
  const app = (deps.tls ? Fastify({ ...options, https: { cert: deps.tls.certPem, key: deps.tls.keyPem } }) : Fastify(options)) as unknown as FastifyInstance;
  // JSON only: fastify's default text/plain parser would let `name=x` reach validation as a string.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(zodSerializerCompiler);
  registerErrorHandler(app, deps.log ?? silentLogger);
  registerPrincipal(app);
  registerOpenApi(app, { title: 'mai', version: '1' });
  const metrics = deps.metrics ?? new MetricsRegistry();
  registerMetrics(app, metrics, deps.metricsAccess);

  await registerWebSockets(app);

  const origin = new WebOrigin(deps.web.publicUrl);
  const events = deps.events ?? noEvents;
  await app.register(healthRoutes, { sessions: deps.sessions });
  await app.register(authRoutes, { auth: deps.auth, flows: deps.flows, rateLimit: deps.rateLimit });
  await app.register(browserAuthRoutes, { auth: deps.auth, flows: deps.flows, origin, rateLimit: deps.rateLimit });
  await app.register(uiRoutes, { root: deps.web.uiRoot });
  await app.register(sessionRoutes, { sessions: deps.sessions, auth: deps.auth, ssh: deps.ssh, origin, events, metrics, keepaliveMs: deps.web.keepaliveSeconds * 1000 });
  await app.register(driverRoutes, { drivers: deps.sessions.drivers, auth: deps.auth });
  if (deps.projects) await app.register(projectRoutes, { projects: deps.projects, auth: deps.auth });
  if (deps.tools) await app.register(toolRoutes, { tools: deps.tools, auth: deps.auth });
  await app.ready();
  return app;
}
