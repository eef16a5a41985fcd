import { z } from 'zod';
import { ENV_NAME, PROVIDER_TYPES, type ProviderType } from '../../drivers/driver-schema.js';

/**
 * What a model provider and an MCP server are, in the configs (`providers:`, `mcp:`), in
 * REST bodies and in the store: one zod schema each, so every front end accepts the same.
 */

/** Provider names come before the `/` of `--model PROVIDER/MODEL`. */
export const PROVIDER_NAME = /^[a-z0-9][a-z0-9_.-]{0,31}$/;
/** `PROVIDER/MODEL`, as `--model` takes it (the model may hold more `/`: openrouter/anthropic/claude-x). */
export const MODEL_REF = new RegExp(`^${PROVIDER_NAME.source.slice(1, -1)}/[^\\s/][^\\s]{0,199}$`);
/** MCP server names are DNS labels: a container server is reached as `mcp-NAME`. */
export const MCP_NAME = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/;

/** Where each kind of provider answers when no base URL is given: the host a session's egress lets through. */
export const PROVIDER_DEFAULT_HOSTS: Record<ProviderType, string | null> = {
  anthropic: 'api.anthropic.com',
  openai: 'api.openai.com',
  'openai-compatible': null,
  google: 'generativelanguage.googleapis.com',
  openrouter: 'openrouter.ai',
};

/** An empty value (`${KEY:-}` with KEY unset) means "none". */
const optionalSecret = z
  .string()
  .max(64 * 1024)
  .optional()
  .transform((v) => (v ? v : undefined));
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const envMap = z
  .record(z.string().regex(ENV_NAME, 'keys must be variable names'), z.string().max(32 * 1024))
  .default({});

export const providerSchema = z
  .object({
    name: z.string().regex(PROVIDER_NAME, 'must be lowercase letters, digits, ".", "_" or "-" (at most 32)'),
    type: z.enum(PROVIDER_TYPES),
    baseUrl: httpUrl.optional(),
    /** `${VAR}` in a config; stored encrypted when added with `mai provider add`. */
    apiKey: optionalSecret,
  })
  .strict()
  .refine((p) => p.type !== 'openai-compatible' || p.baseUrl, { path: ['baseUrl'], message: 'is needed for openai-compatible providers' });

export type ProviderInput = z.input<typeof providerSchema>;
export type ProviderDefinition = z.output<typeof providerSchema>;

const mcpName = z.string().regex(MCP_NAME, 'must be lowercase letters, digits and "-" (a DNS label, at most 32)');
const httpTransport = z.enum(['streamable-http', 'sse']).default('streamable-http');

const remoteMcp = z
  .object({
    name: mcpName,
    type: z.literal('remote'),
    url: httpUrl,
    transport: httpTransport,
    /** Sent with every request (an Authorization header, say): secret, never shown back. */
    headers: z.record(z.string().regex(HEADER_NAME, 'header names are tokens'), z.string().max(16 * 1024)).default({}),
  })
  .strict();

const containerMcp = z
  .object({
    name: mcpName,
    type: z.literal('container'),
    /** Run as a sidecar of the session, on the session's own network, reached as http://mcp-NAME:PORT/PATH. */
    image: z.string().min(1).max(256),
    port: z.number().int().min(1).max(65535),
    path: z.string().startsWith('/', 'must start with /').max(512).default('/mcp'),
    transport: httpTransport,
    /** The sidecar's environment: visible to `docker inspect` of the sidecar, so no secrets here. */
    env: envMap,
    /** Overrides the image's command. */
    command: z.array(z.string().min(1)).max(64).optional(),
  })
  .strict();

const commandMcp = z
  .object({
    name: mcpName,
    type: z.literal('command'),
    /** A stdio server the tool starts inside the session. */
    command: z.string().min(1).max(1024),
    args: z.array(z.string().max(4096)).max(64).default([]),
    /** Its environment: secret values, kept out of the tool's config file where the driver allows. */
    env: envMap,
  })
  .strict();

export const mcpServerSchema = z.discriminatedUnion('type', [remoteMcp, containerMcp, commandMcp]);

export type McpServerInput = z.input<typeof mcpServerSchema>;
export type McpServerDefinition = z.output<typeof mcpServerSchema>;
export type McpServerType = McpServerDefinition['type'];

/** A list of definitions whose names are unique (configs name each one once). */
export function uniqueByName<T extends z.ZodType<{ name: string }>>(item: T) {
  return z
    .array(item)
    .default([])
    .superRefine((items, ctx) => {
      const seen = new Set<string>();
      items.forEach((entry, i) => {
        if (seen.has(entry.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${entry.name}" is defined twice` });
        seen.add(entry.name);
      });
    });
}
