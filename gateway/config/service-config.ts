import { z } from 'zod';
import { loadYamlConfig, validateConfig, type Env } from './load-yaml.js';
import { loggingProvidersSchema } from './logging-providers.js';

const port = z.number().int().min(0).max(65535);

/** Duration strings like `8h`, `30m`, `90s`, `1d` as seconds. */
export const durationSeconds = z
  .union([z.number().int().positive(), z.string().regex(/^\d+[smhd]$/, 'expected a duration like 30m, 8h or 1d')])
  .transform((value) => {
    if (typeof value === 'number') return value;
    const unit = { s: 1, m: 60, h: 3600, d: 86400 }[value.slice(-1) as 's' | 'm' | 'h' | 'd'];
    return Number(value.slice(0, -1)) * unit;
  });

const localUser = z
  .object({
    name: z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/, 'must be a lowercase user name'),
    token: z.string().min(16, 'must be at least 16 characters'),
    admin: z.boolean().default(false),
  })
  .strict();

/**
 * `mai-service.yaml`: the product spec's format plus `ssh:` and `database:`.
 * Every field has a default, so an empty file (or none) is the embedded setup.
 */
export const serviceConfigSchema = z
  .object({
    server: z
      .object({ port: port.default(3000), host: z.string().default('0.0.0.0') })
      .strict()
      .prefault({}),
    ssh: z
      .object({
        port: port.default(2222),
        host: z.string().default('0.0.0.0'),
        /** Host name clients use to reach the gateway (shown in connect info); default: the request's. */
        publicHost: z.string().optional(),
        /** Client environment variables passed into sessions; `*` at the end matches a prefix. */
        envAllow: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*\*?$/)).default(['LANG', 'LC_*', 'TERM', 'COLORTERM', 'TZ']),
        maxAuthTries: z.number().int().min(1).max(20).default(6),
        /** Repeated failures from one address: this many are free, then each waits twice the last. */
        failureDelay: z
          .object({
            free: z.number().int().min(0).default(3),
            baseMs: z.number().int().min(0).default(250),
            maxMs: z.number().int().min(0).default(8000),
          })
          .strict()
          .prefault({}),
        /** How long channels may keep running after SIGTERM before the server closes them. */
        shutdownGraceSeconds: z.number().int().min(0).max(3600).default(10),
        /** Serials of certificates refused even when otherwise valid (break-glass revocation). */
        revokedSerials: z.array(z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).transform(BigInt)).default([]),
      })
      .strict()
      .prefault({}),
    database: z
      .object({
        url: z.string().optional(),
        /** PostgreSQL only: keep mai's tables in this schema (created if missing), e.g. to share one database. */
        schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase SQL identifier').optional(),
      })
      .strict()
      .default({}),
    dataDir: z.string().optional(),
    docker: z
      .object({ socket: z.string().default('/var/run/docker.sock'), network: z.string().default('mai') })
      .strict()
      .prefault({}),
    auth: z
      .object({
        provider: z.enum(['local', 'authentik', 'oidc']).default('local'),
        url: z.string().optional(),
        slug: z.string().optional(),
        issuer: z.string().optional(),
        clientId: z.string().optional(),
        clientSecret: z.string().optional(),
        usernameClaim: z.string().default('preferred_username'),
        adminGroup: z.string().default('mai-admins'),
        users: z.array(localUser).default([]),
        /** Longest certificate the server signs. */
        maxCertificateTtl: durationSeconds.default(8 * 3600),
        /** Claim listing the user's groups (Authentik: `groups`). */
        groupsClaim: z.string().default('groups'),
        scopes: z.array(z.string().min(1)).default(['openid', 'profile', 'email', 'offline_access']),
        /** Redirect URIs a client may ask for besides loopback ones (RFC 8252 §7.3, always allowed). */
        redirectUris: z.array(z.url()).default([]),
        /** Lifetime of the server's own access tokens. */
        accessTokenTtl: durationSeconds.default(15 * 60),
        /** Lifetime of a refresh token; each refresh rotates it and extends the login by this much. */
        refreshTokenTtl: durationSeconds.default(30 * 86400),
        /** Requests per client address per window on the /auth endpoints. */
        rateLimit: z
          .object({ max: z.number().int().min(1).default(30), window: durationSeconds.default(60) })
          .strict()
          .prefault({}),
        /**
         * DANGER: lets openid-client talk to an `http://` issuer. For tests against a
         * provider on loopback only; never in production, where tokens would cross in clear.
         */
        allowInsecureRequests: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    logging: z
      .object({
        /** Where audit lines go: a file path, or `stderr`. */
        audit: z.string().default('stderr'),
        /** Fluentd and Langfuse: where session output, server events and traces go (gateway/logging/). */
        providers: loggingProvidersSchema,
      })
      .strict()
      .prefault({}),
    defaultDriver: z.string().default('base'),
    drivers: z
      .array(z.object({ name: z.string(), image: z.string().optional(), env: z.record(z.string(), z.string()).optional() }).strict())
      .default([]),
    projects: z
      .object({
        storage: z.object({ type: z.literal('encrypted').default('encrypted'), key: z.string().optional() }).strict().prefault({}),
        default_ssh_scan: z.array(z.string()).default(['github.com', 'gitlab.com', 'bitbucket.org']),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type ServiceConfig = z.output<typeof serviceConfigSchema>;

/** The service config from a file, or the embedded defaults when no file is given. */
export function loadServiceConfig(file: string | undefined, env: Env): ServiceConfig {
  return file ? loadYamlConfig(serviceConfigSchema, file, env) : validateConfig(serviceConfigSchema, {}, '(defaults)', env);
}
