import { z } from 'zod';

/** Driver names double as image names and CLI words: lowercase, short, no surprises. */
export const DRIVER_NAME = /^[a-z][a-z0-9-]{0,31}$/;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Kinds of model providers mai knows (`providers[].type` in the configs). */
export const PROVIDER_TYPES = ['anthropic', 'openai', 'openai-compatible', 'google', 'openrouter'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];
/** How a tool talks to an MCP server: a process it starts (stdio), or HTTP. */
export const MCP_TRANSPORTS = ['stdio', 'streamable-http', 'sse'] as const;
export type McpTransport = (typeof MCP_TRANSPORTS)[number];

const environmentVariable = z
  .object({
    name: z.string().regex(ENV_NAME, 'must be a valid environment variable name'),
    description: z.string().default(''),
    required: z.boolean().default(false),
    default: z.union([z.string(), z.number(), z.boolean()]).transform(String).optional(),
    /**
     * Secret values: never stored, never logged, never shown. They reach the
     * session as files in /run/mai/secrets/env, exported only into the tool's
     * process (mai-tool-env), never into the container's environment.
     */
    sensitive: z.boolean().default(false),
    /** `mai session create --forward-env` copies this variable from the user's environment when set there. */
    forward: z.boolean().default(false),
  })
  .strict();

/** A path whose content outlives sessions: a named volume per (user, driver), kept when sessions close. */
const persistedPath = z
  .object({
    path: z
      .string()
      .startsWith('/', 'must be an absolute path')
      .refine((p) => p !== '/' && !p.split('/').includes('..'), 'must be a directory below /'),
    description: z.string().default(''),
  })
  .strict();

const volume = z
  .object({
    mountPath: z.string().startsWith('/', 'must be an absolute path'),
    description: z.string().default(''),
  })
  .strict();

const absolutePath = z
  .string()
  .startsWith('/', 'must be an absolute path')
  .refine((p) => p !== '/' && !p.split('/').includes('..'), 'must be a file below /');
const envName = z.string().regex(ENV_NAME, 'must be a valid environment variable name');

/**
 * A template: JSON-like data whose strings may hold `{{placeholder}}`s, filled by mai
 * at create (gateway/domain/tool-template.ts). A string that is one placeholder takes
 * the value as it is (a list, a map); one whose placeholders are not all known is left
 * out, with its key.
 */
const template = z.record(z.string(), z.unknown());

/**
 * A settings file of the tool that mai writes before the session starts: where the
 * model's settings (`model.providers.*.config`) and the MCP servers (`mcp`) go.
 */
const configFile = z
  .object({
    path: absolutePath,
    format: z.enum(['json', 'yaml']).default('json'),
    /**
     * The file is the tool's own and outlives sessions (a `persist` path): mai changes
     * only the keys it wrote and keeps everything else. Without: written whole.
     */
    merge: z.boolean().default(false),
    /** A variable that points the tool at the file; set only when mai writes it. */
    variable: envName.optional(),
  })
  .strict();

/** How the tool takes one kind of provider (the session's `--model PROVIDER/MODEL`). */
const providerBinding = z
  .object({
    /** Where the API key goes: a secret file exported into the tool's process only (mai-tool-env). */
    key: envName.optional(),
    /** Plain variables; placeholders `{{provider}}`, `{{model}}`, `{{baseUrl}}`. */
    env: z.record(envName, z.string()).default({}),
    /** Merged into `config_file`; the same placeholders. */
    config: template.optional(),
  })
  .strict();

/** How the tool takes model providers; a provider type it does not list cannot be used with it. */
const modelSettings = z
  .object({ providers: z.partialRecord(z.enum(PROVIDER_TYPES), providerBinding) })
  .strict()
  .refine((m) => Object.keys(m.providers).length > 0, 'must list at least one provider type');

/**
 * Where the tool reads MCP servers: a key of `config_file` and how one server is spelled
 * there per transport. Placeholders: `{{name}}`, `{{url}}`, `{{headers}}` (a map),
 * `{{command}}`, `{{args}}` (a list), `{{commandLine}}` (command and args, one list),
 * `{{env}}` (a map). A transport without an entry cannot be used with this tool.
 */
const mcpSettings = z
  .object({
    /** Dotted path of the servers' map in the file (`mcpServers`, `mcp`, `extensions`). */
    key: z.string().regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, 'must be a dotted path of keys'),
    entries: z.partialRecord(z.enum(MCP_TRANSPORTS), template),
    /**
     * How the file refers to an environment variable, so that secret header and env values
     * stay out of it (they go to secret files, into the tool's process): `shell` is
     * `${NAME}`, `opencode` is `{env:NAME}`. Without, the values are written into the file.
     */
    env_reference: z.enum(['shell', 'opencode']).optional(),
  })
  .strict();

/**
 * How the driver's tool exports traces of its LLM calls, used when the server has a
 * Langfuse provider. The settings are sensitive (they hold Langfuse's keys): they
 * reach the tool as files in /run/mai/secrets/env, like `sensitive` variables.
 * - `otlp`: OpenTelemetry over HTTP to Langfuse's OTLP endpoint (`OTEL_EXPORTER_OTLP_*`,
 *   the keys as basic auth), with the session in `OTEL_RESOURCE_ATTRIBUTES`;
 * - `langfuse`: the tool's native Langfuse variables (`LANGFUSE_PUBLIC_KEY`, ...).
 * `env` adds the tool's own switches that turn its export on.
 */
const tracing = z
  .object({
    export: z.enum(['otlp', 'langfuse']),
    env: z
      .record(z.string().regex(ENV_NAME, 'must be a valid environment variable name'), z.union([z.string(), z.number(), z.boolean()]).transform(String))
      .default({}),
  })
  .strict();

/**
 * `mai-driver.yaml`: the product spec's "Driver Configuration" fields, plus `image`
 * (the tag to build or run; default `mai/<name>:latest`), `attach` (what a
 * terminal attach runs; default a login shell), `tool`, `persist` and `tracing`.
 */
export const driverManifestSchema = z
  .object({
    name: z.string().regex(DRIVER_NAME, 'must be lowercase letters, digits and dashes, starting with a letter'),
    description: z.string().default(''),
    version: z.union([z.string(), z.number()]).transform(String).default('0.0.0'),
    maintainer: z.string().optional(),
    image: z.string().min(1).optional(),
    init: z
      .object({
        pre_command: z.string().default('/mai-init.sh'),
        command: z.string().default('/entrypoint.sh'),
      })
      .strict()
      .prefault({}),
    attach: z.array(z.string().min(1)).min(1).default(['bash', '-l']),
    environment: z.array(environmentVariable).default([]),
    ports: z.array(z.number().int().min(1).max(65535)).default([]),
    volumes: z.array(volume).default([]),
    /** The AI tool the image carries: its command, and how to ask its version (build checks, tests). */
    tool: z
      .object({ name: z.string().min(1), version_command: z.array(z.string().min(1)).min(1) })
      .strict()
      .optional(),
    /** Tool configuration (logins, settings) kept in per-user volumes across sessions. */
    persist: z.array(persistedPath).max(8).default([]),
    tracing: tracing.optional(),
    config_file: configFile.optional(),
    model: modelSettings.optional(),
    mcp: mcpSettings.optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    const usesFile = Object.values(m.model?.providers ?? {}).some((p) => p?.config) || m.mcp;
    if (usesFile && !m.config_file) ctx.addIssue({ code: 'custom', path: ['config_file'], message: 'is needed by model.providers.*.config and mcp' });
  });

export type DriverManifest = z.output<typeof driverManifestSchema>;
export type DriverTracing = z.output<typeof tracing>;
