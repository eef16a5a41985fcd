import { z } from 'zod';
import { MaiError } from '../errors.js';
import type { SessionRecord, SessionSpec, SessionStatus } from '../domain/types.js';
import type { Row } from './sql-connection.js';

/** Column order shared by INSERT and SELECT, matching `sessionParams()`. */
export const SESSION_COLUMNS =
  'id, owner, name, driver, image, status, container_id, project_url, spec, created_at, updated_at, expires_at, last_active_at';

const STATUSES = ['creating', 'running', 'stopped', 'missing'] as const satisfies readonly SessionStatus[];
// Fails to compile if SessionStatus gains a value the store would reject on read.
const statusesComplete: Exclude<SessionStatus, (typeof STATUSES)[number]> extends never ? true : never = true;
void statusesComplete;

const specSchema: z.ZodType<SessionSpec> = z.object({
  envKeys: z.array(z.string()),
  volumes: z.array(
    z.object({ source: z.string(), target: z.string(), readOnly: z.boolean(), labels: z.record(z.string(), z.string()).optional() }),
  ),
  ports: z.array(z.object({ container: z.number().int(), host: z.number().int().optional() })),
  limits: z.object({ cpus: z.number(), memoryMb: z.number(), pids: z.number() }),
  attach: z.array(z.string()).optional(),
  model: z.string().optional(),
  mcp: z.array(z.string()).optional(),
  egress: z.string().optional(),
  network: z.string().optional(),
  sidecars: z.array(z.string()).optional(),
});

const rowSchema = z.object({
  id: z.string(),
  owner: z.string(),
  name: z.string(),
  driver: z.string(),
  image: z.string(),
  status: z.enum(STATUSES),
  container_id: z.string().nullable(),
  project_url: z.string().nullable(),
  spec: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  // Migration 5; NULL on rows made before it.
  expires_at: z.string().nullable(),
  last_active_at: z.string().nullable(),
});

/** The parameters for `SESSION_COLUMNS`, in order; the spec is stored as JSON text. */
export function sessionParams(session: SessionRecord): unknown[] {
  return [
    session.id,
    session.owner,
    session.name,
    session.driver,
    session.image,
    session.status,
    session.containerId,
    session.projectUrl,
    JSON.stringify(session.spec),
    session.createdAt,
    session.updatedAt,
    session.expiresAt ?? null,
    session.lastActiveAt ?? null,
  ];
}

/**
 * Validates a row read back and builds exactly a `SessionRecord` (no extra keys, spec
 * parsed). A row that does not fit is STORE_FAILED: someone wrote the table by hand
 * or a migration is missing, and guessing would spread the damage.
 */
export function sessionFromRow(row: Row): SessionRecord {
  const parsed = rowSchema.safeParse(row);
  if (!parsed.success) {
    throw new MaiError('STORE_FAILED', `malformed session row ${describeId(row)}`, { cause: parsed.error });
  }
  const r = parsed.data;
  let spec: SessionSpec;
  try {
    spec = specSchema.parse(JSON.parse(r.spec));
  } catch (err) {
    throw new MaiError('STORE_FAILED', `malformed spec in session row "${r.id}"`, { cause: err });
  }
  return {
    id: r.id,
    name: r.name,
    owner: r.owner,
    driver: r.driver,
    image: r.image,
    status: r.status,
    containerId: r.container_id,
    projectUrl: r.project_url,
    spec,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    ...(r.expires_at !== null ? { expiresAt: r.expires_at } : {}),
    ...(r.last_active_at !== null ? { lastActiveAt: r.last_active_at } : {}),
  };
}

function describeId(row: Row): string {
  return typeof row['id'] === 'string' ? `"${row['id']}"` : '(without id)';
}
