import { z } from 'zod';
import { SQL_SCHEMA_NAME } from '../store/sql-connection.js';
import { USER_NAME } from '../users/user-name.js';
import { loadYamlConfig, validateConfig, type Env } from './load-yaml.js';
import { loggingProvidersSchema } from './logging-providers.js';
import { durationSeconds, recordingSchema } from './units.js';

export { durationSeconds };
import { toolConfigShape } from './tool-config.js';

const port = z.number().int().min(0).max(65535);

/**
 * `${VAR:-}` interpolates to text, and to an empty string when the variable is unset:
 * for the optional fields a deployment fills from the environment, empty means absent
 * and a port may arrive as digits.
 */
const unsetWhenEmpty = (value: unknown) => (value === '' ? undefined : value);
const optionalText = z.preprocess(unsetWhenEmpty, z.string().optional());
const optionalPort = z.preprocess(
  (value) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : unsetWhenEmpty(value)),
  port.min(1).optional(),
);

const localUser = z
  .object({
    name: z.string().regex(USER_NAME, 'must be a lowercase user name'),
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
      .object({
        port: port.default(3000),
        host: z.string().default('0.0.0.0'),
        /**
         * HTTPS for the REST API: PEM files, or `false` for plain HTTP (only behind a
         * TLS-terminating proxy). Absent: plain HTTP on a loopback address, otherwise a
         * self-signed certificate made once in the data dir (clients pin its fingerprint).
         */
        tls: z
          .union([z.literal(false), z.object({ cert: z.string().min(1), key: z.string().min(1) }).strict()])
          .optional(),
        /**
         * Which proxies' X-Forwarded-For / -Proto / -Host to believe (fastify's `trustProxy`):
         * `true` (any), or their addresses or CIDRs. Off by default: a client could otherwise
         * pick its own address, and with it its rate-limit bucket.
         */
        trustProxy: z.union([z.boolean(), z.string().min(1), z.array(z.string().min(1))]).default(false),
        /**
         * The URL browsers use to reach the server (`https://mai.example.com`). WebSockets from any
         * other page's Origin are refused, and the web UI's sign-in returns to `<publicUrl>/ui/auth/callback`.
         * Default: whatever host the request named (same-origin with the Host header).
         */
        publicUrl: z
          .url({ protocol: /^https?$/ })
          .transform((url) => url.replace(/\/+$/, ''))
          .optional(),
        /** WebSocket ping interval; a peer that misses one pong by the next ping is dropped. */
        websocketKeepalive: durationSeconds.default(30),
        /** When set, `/metrics` answers only requests bearing `Authorization: Bearer <token>`. */
        metricsToken: z.preprocess(unsetWhenEmpty, z.string().min(16, 'must be at least 16 characters').optional()),
        /** When set (`HOST:PORT`), `/metrics` is served there only, not on the API's port. */
        metricsListen: z.preprocess(
          unsetWhenEmpty,
          z
            .string()
            .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected HOST:PORT, e.g. 127.0.0.1:9464')
            .optional(),
        ),
      })
      .strict()
      .prefault({}),
    /** The session lifecycle (idle reaping, lifetimes) and terminal recording. */
    sessions: z
      .object({
        /** A running session no client has used for this long is stopped or closed (`idleAction`); unset: never. */
        idleTimeout: durationSeconds.optional(),
        /** `stop` keeps the container (it starts again on the next connect); `close` removes the session. */
        idleAction: z.enum(['stop', 'close']).default('stop'),
        /** The longest a session lives, and the most `--ttl` may ask for; unset: no limit. */
        maxLifetime: durationSeconds.optional(),
        /** How long before a session's lifetime ends its attached terminals get a warning line. */
        warnBefore: durationSeconds.default(300),
        recording: recordingSchema(true),
      })
      .strict()
      .prefault({}),
    ssh: z
      .object({
        port: port.default(2222),
        host: z.string().default('0.0.0.0'),
        /** Host name clients use to reach the gateway (shown in connect info); default: the request's. */
        publicHost: optionalText,
        /** Port clients reach the gateway on, when not `port` (a published container port, a load balancer). */
        publicPort: optionalPort,
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
        /** Time a connection has to authenticate (OpenSSH's LoginGraceTime). */
        loginGraceSeconds: z.number().int().min(1).max(600).default(30),
        /** Connections still authenticating, at once: in all and from one address (OpenSSH's MaxStartups). */
        maxStartups: z
          .object({ total: z.number().int().min(1).default(100), perAddress: z.number().int().min(1).default(10) })
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
        schema: z.string().regex(SQL_SCHEMA_NAME, 'must be a lowercase SQL identifier').optional(),
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
        /** Users who are admins whatever the provider says (the first admin of a new server). */
        admins: z.array(z.string().regex(USER_NAME, 'must be a lowercase user name')).default([]),
        /** Longest certificate the server signs. */
        maxCertificateTtl: durationSeconds.default(8 * 3600),
        /** Claim listing the user's groups (Authentik: `groups`). */
        groupsClaim: z.string().default('groups'),
        scopes: z.array(z.string().min(1)).default(['openid', 'profile', 'email', 'offline_access']),
        /** Redirect URIs a client may ask for besides loopback ones (RFC 8252 §7.3, always allowed). */
        redirectUris: z.array(z.url()).default([]),
        /** Lifetime of the server's own access tokens. */
        accessTokenTtl: durationSeconds.default(15 * 60),
        /** The longest a login lasts, however often it is refreshed; then the user logs in again. */
        maxLoginHours: z.number().positive().max(24 * 366).default(12),
        /** Lifetime of a refresh token; each refresh rotates it and extends the login by this much (up to maxLoginHours). */
        refreshTokenTtl: durationSeconds.default(30 * 86400),
        /** Lifetime of a web UI sign-in (its cookie); sign in again after it. */
        browserSessionTtl: durationSeconds.default(12 * 3600),
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
        /** Where audit lines go: `stdout` (with the operational log), `stderr`, or a file path. */
        audit: z.string().default('stdout'),
        /** Fluentd and Langfuse: where session output, server events and traces go (gateway/logging/). */
        providers: loggingProvidersSchema,
      })
      .strict()
      .prefault({}),
    /** What one user may have and ask for; admins are exempt. */
    quotas: z
      .object({
        sessionsPerUser: z.number().int().min(1).default(10),
        cpus: z.number().positive().default(4),
        memoryMb: z.number().int().min(64).default(8192),
        pids: z.number().int().min(16).default(4096),
        /** Host ports sessions may publish (on 127.0.0.1), `FROM-TO`, never below 1024; or `none`. */
        hostPorts: z
          .union([z.literal('none'), z.string().regex(/^\d{4,5}-\d{4,5}$/, 'expected FROM-TO (e.g. 20000-29999) or none')])
          .default('20000-29999')
          .transform((text, ctx) => {
            if (text === 'none') return null;
            const [from, to] = text.split('-').map(Number) as [number, number];
            if (from < 1024 || to > 65535 || from > to) {
              ctx.addIssue({ code: 'custom', message: 'ports must be 1024-65535, FROM not above TO' });
              return z.NEVER;
            }
            return { from, to };
          }),
        /** SSH channels one connection may hold open, as OpenSSH's MaxSessions. */
        channelsPerConnection: z.number().int().min(1).max(1000).default(10),
      })
      .strict()
      .prefault({})
      .transform(({ cpus, memoryMb, pids, ...rest }) => ({ ...rest, maxLimits: { cpus, memoryMb, pids } })),
    defaultDriver: z.string().default('base'),
    /**
     * Operator settings per driver: image and environment overrides, and `dir`, a
     * custom driver's folder on the server (users name drivers; only the operator names folders).
     */
    drivers: z
      .array(
        z.object({ name: z.string(), image: z.string().optional(), env: z.record(z.string(), z.string()).optional(), dir: z.string().optional() }).strict(),
      )
      .default([]),
    projects: z
      .object({
        storage: z.object({ type: z.literal('encrypted').default('encrypted'), key: z.string().optional() }).strict().prefault({}),
        default_ssh_scan: z.array(z.string()).default(['github.com', 'gitlab.com', 'bitbucket.org']),
      })
      .strict()
      .prefault({}),
    ...toolConfigShape,
  })
  .strict();

export type ServiceConfig = z.output<typeof serviceConfigSchema>;

/** The service config from a file, or the embedded defaults when no file is given. */
export function loadServiceConfig(file: string | undefined, env: Env): ServiceConfig {
  return file ? loadYamlConfig(serviceConfigSchema, file, env) : validateConfig(serviceConfigSchema, {}, '(defaults)', env);
}
