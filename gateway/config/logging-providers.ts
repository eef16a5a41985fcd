import { z } from 'zod';

/** Fluentd tags are dot-separated words; Docker's log driver also reads the tag as a template, so no braces. */
const TAG = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** Events held while a provider is unreachable; beyond this the oldest are dropped (counted in /metrics). */
const queueSize = z.number().int().min(10).max(1_000_000).default(10_000);

/** `tcp://HOST:PORT`, the Fluent forward protocol's listener (Fluentd's `in_forward`, Fluent Bit's `forward`). */
const forwardUrl = z.string().refine((value) => fluentdAddress(value) !== null, 'expected tcp://HOST:PORT (the Fluent forward listener)');

const fluentdProvider = z
  .object({
    type: z.literal('fluentd'),
    url: forwardUrl,
    /** First part of every tag: session output is `TAG.OWNER.SESSION`, server events `TAG.server.audit` and `TAG.server.error`. */
    tag: z.string().regex(TAG, 'must be dot-separated words (letters, digits, _ and -)').default('mai'),
    /**
     * Wait for Fluentd's acknowledgement of each chunk (the forward protocol's `chunk`/`ack`),
     * so a chunk lost with a dropped connection is sent again. Turn off for a receiver that never acks.
     */
    ack: z.boolean().default(true),
    queueSize,
  })
  .strict();

const langfuseProvider = z
  .object({
    type: z.literal('langfuse'),
    /** The Langfuse host, e.g. https://cloud.langfuse.com or a self-hosted instance. */
    url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).transform((url) => url.replace(/\/+$/, '')),
    publicKey: z.string().min(1),
    /** Secret: give it as ${VAR}; it is sent only to Langfuse (and to sessions whose driver exports traces, as a file). */
    secretKey: z.string().min(1),
    /**
     * Give the keys to sessions whose driver exports its tool's traces, so the agent's
     * LLM calls reach Langfuse. Their users can read the keys (the tool runs as them),
     * and Langfuse keys also read the project: use a project of its own, or turn this off.
     */
    sessionExport: z.boolean().default(true),
    queueSize,
  })
  .strict();

/**
 * `logging.providers`: where the server forwards what happens (see README, "Logging providers").
 * At most one of each type.
 */
export const loggingProvidersSchema = z
  .array(
    z.discriminatedUnion('type', [fluentdProvider, langfuseProvider], {
      error: (issue) => (issue.code === 'invalid_union' ? `unknown provider type (expected fluentd or langfuse)` : undefined),
    }),
  )
  .superRefine((providers, ctx) => {
    const seen = new Set<string>();
    providers.forEach((provider, i) => {
      if (seen.has(provider.type)) ctx.addIssue({ code: 'custom', path: [i, 'type'], message: `${provider.type} is configured twice` });
      seen.add(provider.type);
    });
  })
  .default([]);

export type FluentdProviderConfig = z.output<typeof fluentdProvider>;
export type LangfuseProviderConfig = z.output<typeof langfuseProvider>;
export type LoggingProviderConfig = FluentdProviderConfig | LangfuseProviderConfig;

/** Host and port of a `tcp://HOST:PORT` forward URL, or null when it is not one. */
export function fluentdAddress(url: string): { host: string; port: number } | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const port = Number(parsed.port);
  const bare = parsed.pathname === '' || parsed.pathname === '/';
  if (parsed.protocol !== 'tcp:' || !parsed.hostname || !port || !bare || parsed.search || parsed.username) return null;
  // URL keeps the brackets of an IPv6 literal; sockets want the address alone.
  return { host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}
