import { z } from 'zod';
import { MaiError } from '../errors.js';
import type { SessionRecord, SessionSpec, SessionStatus } from '../domain/types.js';
import type { Row } from './sql-connection.js';

const STATUSES = ['creating', 'running', 'stopped', 'missing', 'closing'] as const satisfies readonly SessionStatus[];
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

/**
 * The columns of a session row, in the order INSERT and SELECT use (`sessionParams()`),
 * and what each must hold. Checked by hand rather than with zod: a listing reads a row
 * per session, and parsing each row (and its spec, see `specFromText`) with zod was
 * most of what `GET /sessions` cost: at 1,000 sessions and 8 clients (test/bench),
 * ~3,400 requests/s and p99 ~15 ms before, ~4,300 and ~11 ms after.
 */
const COLUMNS = {
  id: 'text',
  owner: 'text',
  name: 'text',
  driver: 'text',
  image: 'text',
  status: 'status',
  container_id: 'text or null',
  project_url: 'text or null',
  spec: 'text',
  created_at: 'text',
  updated_at: 'text',
  // Migration 5; NULL on rows made before it.
  expires_at: 'text or null',
  last_active_at: 'text or null',
  // Migration 8; NULL when no operation is in flight.
  lease_holder: 'text or null',
  lease_expires_at: 'text or null',
} as const satisfies Record<string, 'text' | 'text or null' | 'status'>;

type Column = keyof typeof COLUMNS;
const COLUMN_NAMES = Object.keys(COLUMNS) as Column[];
type SessionRow = { [C in Column]: (typeof COLUMNS)[C] extends 'status' ? SessionStatus : (typeof COLUMNS)[C] extends 'text or null' ? string | null : string };

export const SESSION_COLUMNS = COLUMN_NAMES.join(', ');

/** The first column that does not hold what it must, if any. */
function badColumn(row: Row): Column | null {
  for (const column of COLUMN_NAMES) {
    const value = row[column];
    const kind: string = COLUMNS[column];
    const fits = kind === 'status' ? (STATUSES as readonly unknown[]).includes(value) : typeof value === 'string' || (kind === 'text or null' && value === null);
    if (!fits) return column;
  }
  return null;
}

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
    session.lease?.holder ?? null,
    session.lease?.expiresAt ?? null,
  ];
}

/**
 * Validates a row read back and builds exactly a `SessionRecord` (no extra keys, spec
 * parsed). A row that does not fit is STORE_FAILED: someone wrote the table by hand
 * or a migration is missing, and guessing would spread the damage.
 */
export function sessionFromRow(row: Row): SessionRecord {
  const bad = badColumn(row);
  if (bad) throw new MaiError('STORE_FAILED', `malformed session row ${describeId(row)}: column ${bad}`);
  const r = row as SessionRow;
  let spec: SessionSpec;
  try {
    spec = specFromText(r.spec);
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
    ...(r.lease_holder !== null && r.lease_expires_at !== null ? { lease: { holder: r.lease_holder, expiresAt: r.lease_expires_at } } : {}),
  };
}

/**
 * Spec texts already checked whose JSON the schema kept exactly as it was (nothing
 * stripped, same order): for those, JSON.parse gives what the schema would, so a row
 * read again is not checked again. Each read still gets its own object. The schema's
 * parse was most of the cost of `GET /sessions` (a row per session, every request).
 */
const checkedSpecs = new Set<string>();
const MAX_CHECKED_SPECS = 10_000;

function specFromText(text: string): SessionSpec {
  if (checkedSpecs.has(text)) return JSON.parse(text) as SessionSpec;
  const spec = specSchema.parse(JSON.parse(text));
  if (JSON.stringify(spec) === text) {
    // Forgetting them all at once is enough: a server reads far fewer distinct specs than this between two clears.
    if (checkedSpecs.size >= MAX_CHECKED_SPECS) checkedSpecs.clear();
    checkedSpecs.add(text);
  }
  return spec;
}

function describeId(row: Row): string {
  return typeof row['id'] === 'string' ? `"${row['id']}"` : '(without id)';
}
