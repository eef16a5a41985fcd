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
}

export function sessionView(s: SessionRecord): SessionView {
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
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86400)}d ago`;
}

/** The session list as text (CLI, SSH `ls`); takes views, which is all a remote client has. */
export function sessionTable(sessions: ReadonlyArray<Pick<SessionView, 'id' | 'name' | 'driver' | 'status' | 'createdAt'>>, now = Date.now()): string {
  const rows = sessions.map((s) => [s.id, s.name === s.id ? '-' : s.name, s.driver, s.status, ago(s.createdAt, now)]);
  return formatTable(['ID', 'NAME', 'DRIVER', 'STATUS', 'CREATED'], rows);
}
