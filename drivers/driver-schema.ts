import { z } from 'zod';

/** Driver names double as image names and CLI words: lowercase, short, no surprises. */
export const DRIVER_NAME = /^[a-z][a-z0-9-]{0,31}$/;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

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
  })
  .strict();

export type DriverManifest = z.output<typeof driverManifestSchema>;
export type DriverTracing = z.output<typeof tracing>;
