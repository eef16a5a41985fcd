import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../api/app.js';
import { buildMetricsServer } from '../api/metrics.js';
import { packageRoot } from '../drivers/package-root.js';
import { AuthService } from './auth/auth-service.js';
import { LoginFlows } from './auth/login-flows.js';
import { OidcClient } from './auth/oidc-client.js';
import { oidcSettings } from './auth/oidc-settings.js';
import { DockerBackend } from './backend/docker-backend.js';
import type { ContainerStates } from './backend/backend.js';
import type { ServiceConfig } from './config/service-config.js';
import { CertificateAuthority } from './domain/certificate-authority.js';
import { openDomainCore } from './domain/core-wiring.js';
import { DriverCatalog } from './domain/driver-catalog.js';
import { EventBus } from './domain/events.js';
import { SessionLifecycle } from './domain/lifecycle.js';
import type { Policy } from './domain/policy.js';
import type { ProjectService } from './domain/project-service.js';
import { LABEL_INSTANCE, type SessionService } from './domain/session-service.js';
import { describeCause } from './errors.js';
import { jsonLogger, withErrorSink, type Logger } from './log.js';
import { MetricsRegistry } from './metrics/registry.js';
import { registerSshMetrics } from './metrics/ssh-metrics.js';
import { openAuditLog } from './logging/audit-log.js';
import { openLoggingProviders } from './logging/logging-providers.js';
import { loadServerKeys } from './server-keys.js';
import { loadServerTls, type ServerTls } from './server-tls.js';
import { SshGateway } from './ssh/ssh-gateway.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';
import { StoreUserDirectory } from './users/store-directory.js';

export interface ServerOptions {
  config: ServiceConfig;
  dataDir: string;
  /** Overrides of the config's ports (`--ssh-port`, `--http-port`); 0 picks a free port. */
  sshPort?: number;
  httpPort?: number;
  databaseUrl?: string;
  log?: Logger;
  /** The logging providers' reconnection and retry waits (tests shorten them). */
  providerBackoff?: { initialMs: number; maxMs: number };
}

/** How long shutdown waits for the logging providers to send what they still hold. */
const PROVIDER_FLUSH_MS = 5000;

/**
 * Every part of `mai serve`, wired and ready, nothing listening yet. Tests drive
 * `api` with `inject()` against exactly what the server runs.
 */
export interface AssembledServer {
  config: ServiceConfig;
  store: Store;
  ca: CertificateAuthority;
  hostKeyLine: string;
  /** The REST API's certificate; null where it serves plain HTTP. */
  tls: ServerTls | null;
  events: EventBus;
  metrics: MetricsRegistry;
  sessions: SessionService;
  projects: ProjectService;
  auth: AuthService;
  api: FastifyInstance;
  gateway: SshGateway;
  /** Idle reaping and lifetimes; its timer runs once the server listens. */
  lifecycle: SessionLifecycle;
  /** Opens both listeners (and the metrics one, with `server.metricsListen`). */
  listen(ports?: { sshPort?: number; httpPort?: number }): Promise<RunningServer>;
  /** Stops accepting, lets channels finish within `graceMs`, then closes everything. Idempotent. */
  close(graceMs?: number): Promise<void>;
}

export interface RunningServer {
  sshPort: number;
  httpPort: number;
  /** Where `/metrics` is served alone (`server.metricsListen`). */
  metricsPort?: number;
  hostKeyLine: string;
  tls: ServerTls | null;
  ca: CertificateAuthority;
  sessions: SessionService;
  close(graceMs?: number): Promise<void>;
}

/**
 * `mai serve`: the one factory where the server's parts are wired together.
 * Everything is created here and closed here, in reverse order.
 */
export async function assembleServer(options: ServerOptions): Promise<AssembledServer> {
  const { config, dataDir } = options;
  // JSON lines on stdout, where a container's log collector reads them; people's messages go to stderr.
  const baseLog = options.log ?? jsonLogger((line) => process.stdout.write(line));
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Checked before anything is opened: a bad auth section fails fast, leaking nothing.
  const oidc = oidcSettings(config.auth);

  const { hostKey, userCa } = await loadServerKeys(dataDir);
  const tls = await loadServerTls(config, dataDir, (made) => baseLog.info('server.tls_created', { certFile: made.certFile, fingerprint: made.fingerprint }));
  const ca = new CertificateAuthority(userCa, config.auth.maxCertificateTtl);
  const store = await openStore({
    databaseUrl: options.databaseUrl ?? config.database.url,
    dataDir,
    ...(config.database.schema ? { schema: config.database.schema } : {}),
  });
  const metrics = new MetricsRegistry();
  // Fluentd and Langfuse: subscribers of the bus, and the sink of the log's error lines.
  const providers = openLoggingProviders(config.logging.providers, {
    metrics,
    log: baseLog,
    ...(options.providerBackoff ? { backoff: options.providerBackoff } : {}),
  });
  const log = withErrorSink(baseLog, providers.onServerError);
  const events = new EventBus((err, event) => log.error('events.listener_failed', { event: event.type, cause: describeCause(err) }));
  const audit = openAuditLog(config.logging.audit);
  events.subscribe(audit.listener);
  events.subscribe(providers.listener);
  const sshMetrics = registerSshMetrics(metrics);
  events.subscribe(sshMetrics.listener);

  const backend = new DockerBackend({ socketPath: config.docker.socket });
  const drivers = new DriverCatalog(join(packageRoot(), 'drivers'), config.drivers.flatMap((d) => (d.dir ? [d.dir] : [])), config.drivers);
  drivers.list(); // read now: a broken manifest stops the server at start, not at someone's create
  const containers = watchEngine(backend, await store.instanceId(), metrics);
  await containers.start();
  // A shared server: users name neither host paths nor driver folders; quotas from the config.
  const policy: Policy = {
    hostMounts: false,
    driverFolders: false,
    containerMcp: false,
    egress: { default: config.egress.default, forced: config.egress.force },
    quotas: config.quotas,
  };
  const core = await openDomainCore(config, { store, backend, containers, drivers, dataDir, shared: true, policy, events, log });
  const { sessions, projects, tools, atRestKey } = core;
  const report = await sessions.reconcile();
  log.info('server.reconciled', { ...report });
  const lifecycle = new SessionLifecycle({ store, sessions, settings: core.lifecycle, recordings: core.recordings, events, log });
  // One directory answers "admin?" and "revoked?" for REST and the SSH gateway alike.
  const users = new StoreUserDirectory(config, store.auth);
  const auth = new AuthService({ auth: config.auth, store: store.auth, ca, oidc: oidc && new OidcClient(oidc, log), atRestKey, users, events });

  const gateway = new SshGateway({
    hostKey: hostKey.privateKeyText,
    trustedCaKeys: [ca.publicKeyBlob],
    sessions,
    users,
    envAllow: config.ssh.envAllow,
    maxAuthTries: config.ssh.maxAuthTries,
    failureDelay: config.ssh.failureDelay,
    startups: { ...config.ssh.maxStartups, graceMs: config.ssh.loginGraceSeconds * 1000 },
    channelsPerConnection: config.quotas.channelsPerConnection,
    publicHost: config.ssh.publicHost ?? hostname(),
    events,
    traffic: sshMetrics.traffic,
    log,
  });
  const api = await buildApi({
    sessions,
    projects,
    tools,
    auth,
    flows: new LoginFlows(config.auth, store.auth, auth),
    ssh: {
      ...(config.ssh.publicHost ? { publicHost: config.ssh.publicHost } : {}),
      // Read per request: the port is known once the gateway listens (0 picks one).
      get port() {
        return config.ssh.publicPort ?? gateway.port ?? config.ssh.port;
      },
      hostKeyLine: hostKey.publicKeyLine,
    },
    rateLimit: { max: config.auth.rateLimit.max, windowSeconds: config.auth.rateLimit.window },
    tls,
    trustProxy: config.server.trustProxy,
    metrics,
    metricsAccess: { ...(config.server.metricsToken ? { token: config.server.metricsToken } : {}), onApi: !config.server.metricsListen },
    web: {
      ...(config.server.publicUrl ? { publicUrl: config.server.publicUrl } : {}),
      keepaliveSeconds: config.server.websocketKeepalive,
      uiRoot: join(packageRoot(), 'dist', 'api', 'ui'),
    },
    events,
    log,
  });
  let metricsServer: FastifyInstance | null = null;

  let closing: Promise<void> | null = null;
  const close = (graceMs = config.ssh.shutdownGraceSeconds * 1000): Promise<void> => {
    closing ??= (async () => {
      await lifecycle.close();
      await Promise.all([gateway.close(graceMs), api.close(), metricsServer?.close()]);
      await containers.close();
      await store.close();
      // Last, so that the closing connections' events are among what they send.
      await Promise.all([audit.close(), providers.close(PROVIDER_FLUSH_MS)]);
      log.info('server.stopped');
    })();
    return closing;
  };

  const assembled: AssembledServer = {
    config,
    store,
    ca,
    hostKeyLine: hostKey.publicKeyLine,
    tls,
    events,
    metrics,
    sessions,
    projects,
    auth,
    api,
    gateway,
    lifecycle,
    close,
    async listen(ports = {}) {
      const sshPort = await gateway.listen(ports.sshPort ?? options.sshPort ?? config.ssh.port, config.ssh.host);
      await api.listen({ port: ports.httpPort ?? options.httpPort ?? config.server.port, host: config.server.host });
      const httpPort = (api.server.address() as AddressInfo).port;
      let metricsPort: number | undefined;
      if (config.server.metricsListen) {
        const { host, port } = splitHostPort(config.server.metricsListen);
        metricsServer = await buildMetricsServer(metrics, config.server.metricsToken);
        await metricsServer.listen({ host, port });
        metricsPort = (metricsServer.server.address() as AddressInfo).port;
      }
      lifecycle.start();
      log.info('server.listening', {
        sshPort,
        httpPort,
        metricsPort,
        scheme: tls ? 'https' : 'http',
        hostKey: hostKey.fingerprint,
        userCa: userCa.fingerprint,
        ...(tls ? { tlsFingerprint: tls.fingerprint, tlsSelfSigned: tls.selfSigned } : {}),
      });
      return { sshPort, httpPort, ...(metricsPort !== undefined ? { metricsPort } : {}), hostKeyLine: hostKey.publicKeyLine, tls, ca, sessions, close };
    },
  };
  return assembled;
}

/**
 * The instance's containers in memory, fed by the engine's events (listing sessions
 * then asks the engine nothing), with its series: events read, full listings, and
 * whether reads are served from memory.
 */
function watchEngine(backend: DockerBackend, instanceId: string, metrics: MetricsRegistry): ContainerStates {
  const events = metrics.counter('mai_engine_events_total', 'Container events read from the engine.');
  const listings = metrics.counter('mai_engine_listings_total', "Full listings of the instance's containers (start, reconnect, resync).");
  const containers = backend.watch({ [LABEL_INSTANCE]: instanceId }, { event: (action) => events.inc({ action }), listed: (reason) => listings.inc({ reason }) });
  metrics.gauge('mai_engine_state_live', '1 while container state is served from memory (event stream up).', () => (containers.live ? 1 : 0));
  return containers;
}

/** Assembles the server and opens its listeners; a failure to listen closes what was opened. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const server = await assembleServer(options);
  try {
    return await server.listen();
  } catch (err) {
    await server.close(0);
    throw err;
  }
}

/** `HOST:PORT` or `[V6]:PORT` (checked by the config schema). */
function splitHostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(at + 1)) };
}
