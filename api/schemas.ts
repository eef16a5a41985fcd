import { z } from 'zod';
import { DRIVER_NAME } from '../drivers/driver-schema.js';
import { createSessionRequestSchema, DEFAULT_LOG_TAIL } from '../gateway/domain/session-request.js';
import { mcpServerSchema, providerSchema } from '../gateway/domain/tool-definitions.js';

/** The wire shapes of the REST API. Request schemas are strict: an unknown field is a 400, not silently dropped. */

export const errorSchema = z
  .object({
    code: z.string(),
    message: z.string(),
    fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
;

export const tokenPairSchema = z
  .object({
    tokenType: z.literal('Bearer'),
    accessToken: z.string(),
    expiresIn: z.number().int(),
    refreshToken: z.string(),
    refreshExpiresIn: z.number().int(),
    user: z.string(),
    admin: z.boolean(),
  })
;

export const loginRequestSchema = z.object({ redirectUri: z.string().min(1).max(2048) }).strict();
export const loginStartSchema = z.object({
  authorizationUrl: z.string(),
  state: z.string(),
  binding: z.string().describe('The flow\'s secret: send it to /auth/callback (never in a URL)'),
  expiresIn: z.number().int(),
});

/** The query the browser brought back to the redirect URI, as the client received it. */
export const callbackRequestSchema = z
  .object({
    state: z.string().min(1).max(512),
    code: z.string().min(1).max(4096),
    /** From /auth/login: only the client that started the login can finish it. */
    binding: z.string().min(1).max(512),
    iss: z.string().max(2048).optional(),
    session_state: z.string().max(512).optional(),
  })
  .strict();

export const deviceStartSchema = z.object({
  deviceCode: z.string(),
  userCode: z.string(),
  verificationUri: z.string(),
  verificationUriComplete: z.string().optional(),
  expiresIn: z.number().int(),
  interval: z.number().int(),
});
export const deviceTokenRequestSchema = z.object({ deviceCode: z.string().min(1).max(512) }).strict();
export const refreshRequestSchema = z.object({ refreshToken: z.string().min(1).max(512) }).strict();
export const logoutRequestSchema = z
  .object({ everywhere: z.boolean().default(false) })
  .strict()
  .nullish(); // fastify hands a bodiless request over as null
/** The web UI's view of its sign-in: how to sign in, and who is signed in (with the CSRF token for changes). */
export const browserSessionSchema = z.object({
  signIn: z.enum(['token', 'oidc']),
  user: z.string().nullable(),
  admin: z.boolean(),
  csrfToken: z.string().nullable(),
});
export const tokenSignInSchema = z.object({ token: z.string().min(1).max(4096) }).strict();
/** What the identity provider sends the browser back with (RFC 6749 §4.1.2, §4.1.2.1). */
export const browserCallbackSchema = z.object({
  state: z.string().max(512).optional(),
  code: z.string().max(4096).optional(),
  iss: z.string().max(2048).optional(),
  session_state: z.string().max(512).optional(),
  error: z.string().max(256).optional(),
  error_description: z.string().max(1024).optional(),
});

export const whoamiSchema = z.object({ user: z.string(), admin: z.boolean() });

export const sshCertRequestSchema = z
  .object({ publicKey: z.string().min(1).max(16 * 1024).describe('OpenSSH public key line, e.g. "ssh-ed25519 AAAA... me@laptop"') })
  .strict();
export const sshCertSchema = z.object({
  certificate: z.string(),
  serial: z.string(),
  keyId: z.string(),
  principal: z.string(),
  validBefore: z.string(),
});

/** As the domain defines it; the domain's policy decides what may be named (a driver folder may not, on a server). */
export const createSessionSchema = createSessionRequestSchema;

export const sessionSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    owner: z.string(),
    driver: z.string(),
    status: z.string(),
    image: z.string(),
    projectUrl: z.string().nullable(),
    ports: z.array(z.object({ container: z.number().int(), host: z.number().int().optional() })),
    model: z.string().nullable(),
    mcp: z.array(z.string()),
    egress: z.string(),
    createdAt: z.string(),
    expiry: z
      .object({ at: z.string(), reason: z.enum(['idle', 'lifetime']), action: z.enum(['stop', 'close']) })
      .nullable()
      .describe('What the server does next to the session and when: stop or close it, for idleness or its lifetime (--ttl, sessions.maxLifetime)'),
  })
;

export const sessionListSchema = z.object({ sessions: z.array(sessionSchema) });
export const recordingListSchema = z.object({
  sessionId: z.string(),
  recordings: z.array(
    z.object({
      n: z.number().int().describe('Its number, for /sessions/{id}/recordings/{n}'),
      user: z.string().describe('Who attached'),
      startedAt: z.string(),
      bytes: z.number().int(),
    }),
  ),
});
export const recordingParamsSchema = z
  .object({ id: z.string().min(1).max(128), n: z.string().regex(/^\d{1,9}$/, 'a recording number') })
  .strict();
export const sessionParamsSchema = z.object({ id: z.string().min(1).max(128) }).strict();
export const listQuerySchema = z.object({ all: z.stringbool().default(false) }).strict();
export const logsQuerySchema = z
  .object({
    follow: z.stringbool().default(false),
    tail: z
      .string()
      .regex(/^(\d{1,7}|all)$/, 'a number of lines or all')
      .optional()
      .describe(`Last lines to show (default ${DEFAULT_LOG_TAIL}), or all`),
  })
  .strict();

/** The browser terminal's size when it opens (it resizes with control frames afterwards). */
export const terminalQuerySchema = z
  .object({ cols: z.coerce.number().int().min(1).max(4096).optional(), rows: z.coerce.number().int().min(1).max(4096).optional() })
  .strict();

export const connectSchema = z.object({
  sessionId: z.string(),
  host: z.string(),
  port: z.number().int(),
  login: z.string(),
  /** The gateway's host key, to pin in known_hosts. */
  hostKey: z.string(),
  knownHostsLine: z.string(),
  command: z.array(z.string()),
});

/** How the caller reaches the SSH gateway, for writing an ssh config block before any session exists. */
export const gatewaySchema = z.object({
  host: z.string(),
  port: z.number().int(),
  login: z.string(),
  hostKey: z.string(),
  knownHostsLine: z.string(),
});

export const driverSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    version: z.string(),
    image: z.string(),
    environment: z.array(
      z.object({ name: z.string(), description: z.string(), required: z.boolean(), sensitive: z.boolean(), default: z.string().optional() }),
    ),
    ports: z.array(z.number().int()),
    volumes: z.array(z.object({ mountPath: z.string(), description: z.string() })),
  })
;
export const driverListSchema = z.object({ drivers: z.array(driverSchema) });
export const driverParamsSchema = z.object({ name: z.string().regex(DRIVER_NAME, 'must be a driver name') }).strict();

/** Secrets are write-only: they come in (plain, or `sealed.v1.` to GET /projects/key) and never go out. */
const projectSecret = z.string().min(1).max(64 * 1024);
export const projectInputSchema = z
  .object({
    url: z.string().min(1).max(2048).describe('git@host:path, ssh://host/path, https://host/path or host/path'),
    sshKey: projectSecret.optional().describe('OpenSSH private key without passphrase, or sealed to GET /projects/key'),
    token: projectSecret.optional().describe('access token for https, or sealed to GET /projects/key'),
    username: z.string().min(1).max(256).optional().describe('user name sent with the token (default x-access-token)'),
    knownHosts: z.string().min(1).max(64 * 1024).optional().describe('known_hosts lines pinning the git host key'),
    caCert: z.string().min(1).max(64 * 1024).optional().describe('PEM of a private CA for the git host'),
  })
  .strict();
export const projectUpdateSchema = projectInputSchema.extend({ url: projectInputSchema.shape.url.optional() });
export const projectSchema = z.object({
  id: z.string(),
  owner: z.string(),
  url: z.string(),
  auth: z.enum(['ssh', 'token', 'none']),
  publicKey: z.string().nullable(),
  username: z.string().nullable(),
  knownHosts: z.boolean(),
  caCert: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const projectListSchema = z.object({ projects: z.array(projectSchema) });
export const projectParamsSchema = z.object({ id: z.string().min(1).max(2048) }).strict();
export const projectOwnerQuerySchema = z.object({ owner: z.string().min(1).max(64).optional() }).strict();
export const projectKeySchema = z.object({
  algorithm: z.literal('x25519-sealedbox'),
  publicKey: z.string().describe('base64 X25519 public key; seal with crypto_box_seal, send as "sealed.v1.<base64>"'),
});

/** Model providers and MCP servers: definitions come in (secrets plain, or sealed to GET /projects/key) and go out without secrets. */
export const providerInputSchema = providerSchema;
export const providerViewSchema = z.object({
  name: z.string(),
  type: z.string(),
  baseUrl: z.string().nullable(),
  hasKey: z.boolean(),
  source: z.enum(['config', 'user']),
});
export const providerListSchema = z.object({ providers: z.array(providerViewSchema) });
export const mcpInputSchema = mcpServerSchema;
export const mcpViewSchema = z.object({
  name: z.string(),
  type: z.enum(['remote', 'container', 'command']),
  source: z.enum(['config', 'user']),
  target: z.string(),
  transport: z.enum(['stdio', 'streamable-http', 'sse']),
  headers: z.array(z.string()),
  env: z.array(z.string()),
});
export const mcpListSchema = z.object({ servers: z.array(mcpViewSchema) });
export const toolNameParamsSchema = z.object({ name: z.string().min(1).max(64) }).strict();
