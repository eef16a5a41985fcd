import { nextDeadline, NO_LIFECYCLE, type Deadline, type LifecycleSettings } from './lifecycle-rules.js';
import type { SessionRecord } from './types.js';

/** What clients see of a session (CLI `--json`, SSH `ls --json`, REST). */
export interface SessionView {
  id: string;
  name: string;
  owner: string;
  driver: string;
  status: string;
  image: string;
  projectUrl: string | null;
  ports: SessionRecord['spec']['ports'];
  /** `PROVIDER/MODEL` the tool was set up with, or null. */
  model: string | null;
  mcp: string[];
  /** `open`, `none` or `allow:HOST,...`. */
  egress: string;
  createdAt: string;
  /** What the lifecycle does next to it and when (stop or close, for idleness or its lifetime); null: nothing. */
  expiry: Deadline | null;
}

/** `lifecycle`: the settings of the process that lists (`SessionService.lifecycle`), for the idle deadline. */
export function sessionView(s: SessionRecord, lifecycle: LifecycleSettings = NO_LIFECYCLE): SessionView {
  return {
    id: s.id,
    name: s.name,
    owner: s.owner,
    driver: s.driver,
    status: s.status,
    image: s.image,
    projectUrl: s.projectUrl,
    ports: s.spec.ports,
    model: s.spec.model ?? null,
    mcp: s.spec.mcp ?? [],
    egress: s.spec.egress ?? 'open',
    createdAt: s.createdAt,
    expiry: nextDeadline(s, lifecycle),
  };
}

/** Plain, aligned columns like `docker ps`; no colours, so output pipes cleanly. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** "3m ago", "2h ago": enough to tell sessions apart at a glance. */
export function ago(iso: string, now = Date.now()): string {
  return `${span((now - Date.parse(iso)) / 1000)} ago`;
}

/** "in 4m", "in 2h". */
function inTime(iso: string, now = Date.now()): string {
  return `in ${span((Date.parse(iso) - now) / 1000)}`;
}

function span(secondsApart: number): string {
  const seconds = Math.max(0, Math.round(secondsApart));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

/** "close in 2h", "stop in 25m (idle)", "-": what the lifecycle does next. */
function expiryText(expiry: Deadline | null | undefined, now = Date.now()): string {
  if (!expiry) return '-';
  return `${expiry.action} ${inTime(expiry.at, now)}${expiry.reason === 'idle' ? ' (idle)' : ''}`;
}

/** The session list as text (CLI, SSH `ls`); takes views, which is all a remote client has (older servers send no expiry). */
export function sessionTable(
  sessions: ReadonlyArray<Pick<SessionView, 'id' | 'name' | 'driver' | 'status' | 'createdAt'> & { expiry?: Deadline | null }>,
  now = Date.now(),
): string {
  const rows = sessions.map((s) => [s.id, s.name === s.id ? '-' : s.name, s.driver, s.status, ago(s.createdAt, now), expiryText(s.expiry, now)]);
  return formatTable(['ID', 'NAME', 'DRIVER', 'STATUS', 'CREATED', 'EXPIRES'], rows);
}
