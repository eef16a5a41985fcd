import { createWriteStream, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { buildApi } from '../api/app.js';
import { DriverCatalog } from '../drivers/driver-catalog.js';
import { packageRoot } from '../drivers/package-root.js';
import { DockerBackend } from './backend/docker-backend.js';
import type { ServiceConfig } from './config/service-config.js';
import { CertificateAuthority } from './domain/certificate-authority.js';
import { openDomainCore } from './domain/core-wiring.js';
import type { SessionService } from './domain/session-service.js';
import { jsonLogger, type Logger } from './log.js';
import { loadServerKeys } from './server-keys.js';
import { SshGateway } from './ssh/ssh-gateway.js';
import { openStore } from './store/open-store.js';
import { StoreUserDirectory } from './users/store-directory.js';
import { AuthService } from './auth/auth-service.js';
import { LoginFlows } from './auth/login-flows.js';
import { OidcClient } from './auth/oidc-client.js';
import { oidcSettings } from './auth/oidc-settings.js';

export interface ServerOptions {
  config: ServiceConfig;
  dataDir: string;
  /** Overrides of the config's ports (`--ssh-port`, `--http-port`); 0 picks a free port. */
  sshPort?: number;
  httpPort?: number;
  databaseUrl?: string;
  log?: Logger;
}

export interface RunningServer {
  sshPort: number;
  httpPort: number;
  hostKeyLine: string;
  ca: CertificateAuthority;
  sessions: SessionService;
  /** Stops accepting, lets channels finish within `graceMs`, then closes everything. Idempotent. */
  close(graceMs?: number): Promise<void>;
}

/**
 * `mai serve`: the one factory where the server's parts are wired together.
 * Everything is created here and closed here, in reverse order.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { config, dataDir } = options;
  const log = options.log ?? jsonLogger((line) => process.stderr.write(line));
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const audit = openAudit(config.logging.audit, log);
  // Checked before anything is opened: a bad auth section fails fast, leaking nothing.
  const oidc = oidcSettings(config.auth);

  const { hostKey, userCa } = await loadServerKeys(dataDir);
  const ca = new CertificateAuthority(userCa, config.auth.maxCertificateTtl);
  const store = await openStore({ databaseUrl: options.databaseUrl ?? config.database.url, dataDir });
  const backend = new DockerBackend({ socketPath: config.docker.socket });
  const drivers = new DriverCatalog(join(packageRoot(), 'drivers'), [], config.drivers);
  const { sessions, projects, atRestKey } = await openDomainCore(config, { store, backend, drivers, dataDir, shared: true, log });
  const report = await sessions.reconcile();
  const auth = new AuthService({ auth: config.auth, store: store.auth, ca, oidc: oidc && new OidcClient(oidc, log), atRestKey, log });
  log.info('server.reconciled', { ...report });

  const gateway = new SshGateway({
    hostKey: hostKey.privateKeyText,
    trustedCaKeys: [ca.publicKeyBlob],
    sessions,
    users: new StoreUserDirectory(config, store.auth),
    envAllow: config.ssh.envAllow,
    maxAuthTries: config.ssh.maxAuthTries,
    failureDelay: config.ssh.failureDelay,
    publicHost: config.ssh.publicHost ?? 'mai-host',
    audit,
    log,
  });
  const sshPort = await gateway.listen(options.sshPort ?? config.ssh.port, config.ssh.host);

  const api = await buildApi({
    sessions,
    projects,
    auth,
    flows: new LoginFlows(config.auth, store.auth, auth),
    ssh: { ...(config.ssh.publicHost ? { publicHost: config.ssh.publicHost } : {}), port: sshPort, hostKeyLine: hostKey.publicKeyLine },
    rateLimit: { max: config.auth.rateLimit.max, windowSeconds: config.auth.rateLimit.window },
    log,
  });
  await api.listen({ port: options.httpPort ?? config.server.port, host: config.server.host });
  const httpPort = (api.server.address() as AddressInfo).port;
  log.info('server.listening', { sshPort, httpPort, hostKey: hostKey.fingerprint, userCa: userCa.fingerprint });

  let closing: Promise<void> | null = null;
  return {
    sshPort,
    httpPort,
    hostKeyLine: hostKey.publicKeyLine,
    ca,
    sessions,
    close(graceMs = config.ssh.shutdownGraceSeconds * 1000) {
      closing ??= (async () => {
        await Promise.all([gateway.close(graceMs), api.close()]);
        await store.close();
        log.info('server.stopped');
      })();
      return closing;
    },
  };
}

/** Audit lines go to their own file when configured, else with the log on stderr. */
function openAudit(target: string, log: Logger): Logger {
  if (target === 'stderr') return log.child({ audit: true });
  const stream = createWriteStream(target, { flags: 'a', mode: 0o600 });
  return jsonLogger((line) => stream.write(line), { audit: true });
}
