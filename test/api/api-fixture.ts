/**
 * The REST API of `mai serve`, assembled by the server's own factory over a real
 * store (SQLite in a temp dir, or PostgreSQL in a throwaway schema), the real Docker
 * backend and the built-in drivers; nothing listens. Tests drive it with `app.inject()`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { AuthService } from '../../gateway/auth/auth-service.js';
import { serviceConfigSchema, type ServiceConfig } from '../../gateway/config/service-config.js';
import { validateConfig } from '../../gateway/config/load-yaml.js';
import type { CertificateAuthority } from '../../gateway/domain/certificate-authority.js';
import type { SessionService } from '../../gateway/domain/session-service.js';
import { silentLogger } from '../../gateway/log.js';
import { assembleServer } from '../../gateway/server.js';
import type { Store } from '../../gateway/store/store.js';
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
  /** The server's data dir (a second server on the same store opens it too). */
  dataDir: string;
  store: Store;
  sessions: SessionService;
  auth: AuthService;
  ca: CertificateAuthority;
  /** The audit log's events so far. */
  auditLines(): Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * `auth` is merged over local users alice, bob and root (admin); `extra` adds top-level
 * config sections (its `server` is merged over the fixture's loopback listen address).
 */
export async function openApiFixture(kind: StoreKind, auth: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<ApiFixture> {
  const { server: serverSection = {}, ...sections } = extra as { server?: Record<string, unknown> };
  const dir = tempDir('mai-api-');
  const auditFile = join(dir.path, 'audit.log');
  const schema = kind === 'postgres' ? freshSchemaName() : undefined;
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
      // Loopback, where the API serves plain HTTP: endpoint-suite's one real listen binds there.
      server: { host: '127.0.0.1', ...serverSection },
      ssh: { publicHost: 'mai.example.test', port: 2222 },
      docker: { network: 'mai-test' },
      logging: { audit: auditFile },
      ...(schema ? { database: { schema } } : {}),
      ...sections,
    },
    'test',
    {},
  );
  const dataDir = join(dir.path, 'data');
  const server = await assembleServer({ config, dataDir, log: silentLogger, ...(schema ? { databaseUrl: PG_URL } : {}) });
  return {
    app: server.api,
    config,
    dataDir,
    store: server.store,
    sessions: server.sessions,
    auth: server.auth,
    ca: server.ca,
    auditLines: () =>
      (existsSync(auditFile) ? readFileSync(auditFile, 'utf8') : '')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    async close() {
      await server.close(0);
      if (schema) await dropSchemas([schema]);
      dir.remove();
    },
  };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
