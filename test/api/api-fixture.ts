/**
 * One REST API over a real store (SQLite in a temp dir, or PostgreSQL in a throwaway
 * schema), the real Docker backend and the built-in drivers: the same parts
 * `mai serve` wires, minus the SSH listener. Tests drive it with `app.inject()`.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../api/app.js';
import { DriverCatalog } from '../../drivers/driver-catalog.js';
import { packageRoot } from '../../drivers/package-root.js';
import { AuthService } from '../../gateway/auth/auth-service.js';
import { LoginFlows } from '../../gateway/auth/login-flows.js';
import { OidcClient } from '../../gateway/auth/oidc-client.js';
import { oidcSettings } from '../../gateway/auth/oidc-settings.js';
import { DockerBackend } from '../../gateway/backend/docker-backend.js';
import { serviceConfigSchema, type ServiceConfig } from '../../gateway/config/service-config.js';
import { validateConfig } from '../../gateway/config/load-yaml.js';
import { CertificateAuthority } from '../../gateway/domain/certificate-authority.js';
import { loadAtRestKey, openProjectService } from '../../gateway/domain/project-wiring.js';
import { SessionService } from '../../gateway/domain/session-service.js';
import type { Store } from '../../gateway/store/store.js';
import { openStore } from '../../gateway/store/open-store.js';
import { loadOrCreateEd25519Key } from '../../keys/index.js';
import { tempDir } from '../helpers/tmp.js';
import { dropSchemas, freshSchemaName, PG_URL } from '../store/targets.js';

export type StoreKind = 'sqlite' | 'postgres';

export const TOKENS = {
  alice: 'alice-token-0123456789abcdef',
  bob: 'bob-token-0123456789abcdef01',
  root: 'root-token-0123456789abcdef0',
} as const;

export interface ApiFixture {
  app: FastifyInstance;
  config: ServiceConfig;
  store: Store;
  sessions: SessionService;
  auth: AuthService;
  ca: CertificateAuthority;
  close(): Promise<void>;
}

/** `auth` is merged over local users alice, bob and root (admin). */
export async function openApiFixture(kind: StoreKind, auth: Record<string, unknown> = {}): Promise<ApiFixture> {
  const config = validateConfig(
    serviceConfigSchema,
    {
      auth: {
        provider: 'local',
        users: [
          { name: 'alice', token: TOKENS.alice },
          { name: 'bob', token: TOKENS.bob },
          { name: 'root', token: TOKENS.root, admin: true },
        ],
        rateLimit: { max: 1000 },
        ...auth,
      },
      projects: { storage: { key: 'a test project key, long enough' } },
    },
    'test',
    {},
  );
  const dir = tempDir('mai-api-');
  const schema = kind === 'postgres' ? freshSchemaName() : undefined;
  const store = await openStore(kind === 'postgres' ? { databaseUrl: PG_URL, dataDir: dir.path, schema: schema! } : { dataDir: dir.path });
  const caKey = await loadOrCreateEd25519Key(join(dir.path, 'user_ca'));
  const ca = new CertificateAuthority(caKey, config.auth.maxCertificateTtl);
  // Wired as `mai serve` wires it: one at-rest key for project secrets and the provider's tokens.
  const atRestKey = await loadAtRestKey({ dataDir: dir.path, configuredKey: config.projects.storage.key });
  const projects = await openProjectService({ store: store.projects, dataDir: dir.path, key: atRestKey, sealing: true });
  const sessions = new SessionService({
    store,
    backend: new DockerBackend({ socketPath: config.docker.socket }),
    drivers: new DriverCatalog(join(packageRoot(), 'drivers')),
    instanceId: await store.instanceId(),
    defaultDriver: 'base',
    allowVolumes: false,
    projects,
  });
  const settings = oidcSettings(config.auth);
  const authService = new AuthService({ auth: config.auth, store: store.auth, ca, oidc: settings && new OidcClient(settings), atRestKey });
  const app = await buildApi({
    sessions,
    projects,
    auth: authService,
    flows: new LoginFlows(config.auth, store.auth, authService),
    ssh: { publicHost: 'mai.example.test', port: 2222, hostKeyLine: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyForTests' },
    rateLimit: { max: config.auth.rateLimit.max, windowSeconds: config.auth.rateLimit.window },
  });
  return {
    app,
    config,
    store,
    sessions,
    auth: authService,
    ca,
    async close() {
      await app.close();
      await store.close();
      if (schema) await dropSchemas([schema]);
      dir.remove();
    },
  };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
