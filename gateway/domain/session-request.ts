import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { ENV_NAME } from '../../drivers/driver-schema.js';
import { describeIssue } from '../config/load-yaml.js';
import { durationSeconds } from '../config/units.js';
import { MaiError } from '../errors.js';
import { MCP_NAME, MODEL_REF } from './tool-definitions.js';
import type { PortMapping, ResourceLimits, VolumeMount } from './types.js';

/**
 * Words the SSH gateway routes on (`ssh gw WORD ...`, see gateway/ssh/route.ts, whose
 * commands must be among them) and words kept for later ones: a session with such a
 * name could never be reached by it.
 */
export const RESERVED_WORDS = ['new', 'ls', 'list', 'close', 'logs', 'help', 'all', 'watch'] as const;
export type ReservedWord = (typeof RESERVED_WORDS)[number];
const RESERVED_NAMES: ReadonlySet<string> = new Set(RESERVED_WORDS);
export const SESSION_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/i;
/** Variables mai sets itself; users cannot override them. */
const RESERVED_ENV_PREFIX = 'MAI_';
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export const DEFAULT_LIMITS: ResourceLimits = { cpus: 2, memoryMb: 4096, pids: 1024 };

const port = z.number().int().min(1).max(65535);

export const createSessionRequestSchema = z
  .object({
    driver: z.string().min(1).optional(),
    name: z
      .string()
      .regex(SESSION_NAME, 'must be letters, digits, ".", "_" or "-", at most 63, starting with a letter or digit')
      .refine((name) => !RESERVED_NAMES.has(name.toLowerCase()), 'is a reserved word')
      .optional(),
    env: z
      .record(z.string(), z.string().max(32768))
      .default({})
      .refine((env) => Object.keys(env).every((key) => ENV_NAME.test(key)), 'keys must be valid variable names')
      .refine(
        (env) => Object.keys(env).every((key) => !key.startsWith(RESERVED_ENV_PREFIX)),
        `${RESERVED_ENV_PREFIX}* variables are set by mai`,
      ),
    volumes: z
      .array(
        z
          .object({
            source: z.string().refine((s) => isAbsolute(s) || VOLUME_NAME.test(s), 'must be an absolute path or a volume name'),
            target: z.string().refine((t) => isAbsolute(t) && t !== '/', 'must be an absolute path inside the container'),
            readOnly: z.boolean().default(false),
          })
          .strict(),
      )
      .max(32)
      .default([]),
    ports: z
      .array(z.object({ container: port, host: port.optional() }).strict())
      .max(32)
      .default([]),
    limits: z
      .object({
        cpus: z.number().positive().max(256).optional(),
        memoryMb: z.number().int().min(64).max(1024 * 1024).optional(),
        pids: z.number().int().min(16).max(1_000_000).optional(),
      })
      .strict()
      .default({}),
    projectUrl: z.string().min(1).max(2048).optional(),
    /** `PROVIDER/MODEL`; absent: the configured default, where the driver can take it. */
    model: z.string().regex(MODEL_REF, 'expected PROVIDER/MODEL (e.g. anthropic/claude-sonnet-4-5)').optional(),
    /** MCP servers by name; absent: the configured defaults. */
    mcp: z.array(z.string().regex(MCP_NAME, 'must be MCP server names')).max(16).optional(),
    /** `open`, `none` or `allow:HOST,...`; absent: the server's default. */
    egress: z.string().max(16 * 1024).optional(),
    /** How long the session lives (`2h`, `30m`, or seconds), at most the server's `sessions.maxLifetime`. */
    ttl: durationSeconds.optional(),
  })
  .strict();

export type CreateSessionRequest = z.input<typeof createSessionRequestSchema>;
export type ValidCreateSessionRequest = z.output<typeof createSessionRequestSchema>;

/** Validates a create request from any front end; the one place these rules live. */
export function validateCreateRequest(request: unknown): ValidCreateSessionRequest {
  const result = createSessionRequestSchema.safeParse(request);
  if (!result.success) throw new MaiError('INPUT_INVALID', `invalid session request: ${describeIssue(result.error)}`);
  return result.data;
}

/** Lines a log request shows when it names no `--tail`: enough to see what happened, bounded. */
export const DEFAULT_LOG_TAIL = 10_000;
const MAX_LOG_TAIL = 1_000_000;

/** `--tail N` / `?tail=N`: a count of last lines (0..1,000,000), or `all`. */
export function parseTail(text: string): number | 'all' {
  if (text === 'all') return 'all';
  const n = /^\d{1,7}$/.test(text) ? Number(text) : NaN;
  if (!(n <= MAX_LOG_TAIL)) throw new MaiError('INPUT_INVALID', `--tail "${text}": expected a number of lines (0-${MAX_LOG_TAIL}) or all`);
  return n;
}

/**
 * `-e KEY=VALUE` (the value may contain `=`; it may be empty). An error names the key
 * as typed, never the value: values are often secrets, and errors end up in logs.
 */
export function parseEnvAssignment(text: string): [string, string] {
  const eq = text.indexOf('=');
  const key = eq >= 0 ? text.slice(0, eq) : text;
  if (eq <= 0 || !ENV_NAME.test(key)) {
    const shown = /^[\w.-]{1,64}$/.test(key) ? `"${key}"` : 'its name';
    throw new MaiError('INPUT_INVALID', `-e ${shown}: expected KEY=VALUE, KEY a variable name (letters, digits, _)`);
  }
  return [key, text.slice(eq + 1)];
}

/** `-v SOURCE:TARGET[:ro|:rw]`, SOURCE an absolute host path or a volume name. */
export function parseVolume(text: string): VolumeMount {
  const parts = text.split(':');
  const [source, target, mode] = parts;
  if (parts.length < 2 || parts.length > 3 || !source || !target || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) {
    throw new MaiError('INPUT_INVALID', `-v "${text}": expected SOURCE:TARGET[:ro]`);
  }
  return { source, target, readOnly: mode === 'ro' };
}

/** `--ttl 2h` (or seconds) as the request carries it; the request's schema checks it. */
export function parseTtl(text: string): string | number {
  return /^\d+$/.test(text) ? Number(text) : text;
}

/** `--port N` (container port N on host loopback port N) or `--port HOST:CONTAINER`. */
export function parsePort(text: string): PortMapping {
  const match = /^(?:(\d{1,5}):)?(\d{1,5})$/.exec(text.trim());
  const host = match?.[1] === undefined ? undefined : Number(match[1]);
  const container = Number(match?.[2]);
  const valid = (n: number | undefined) => n === undefined || (n >= 1 && n <= 65535);
  if (!match || !valid(host) || !valid(container)) {
    throw new MaiError('INPUT_INVALID', `--port "${text}": expected PORT or HOST_PORT:CONTAINER_PORT (1-65535)`);
  }
  return { container, host: host ?? container };
}
