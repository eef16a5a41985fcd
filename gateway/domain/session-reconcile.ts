import { LABEL_SESSION, SESSION_ENDED_EXIT_CODE, type ContainerInfo } from '../backend/backend.js';
import type { SessionDeps } from './session-deps.js';
import type { SessionRecord, SessionStatus } from './types.js';

/** A row still 'creating' after this long belongs to a process that died mid-create. */
const STALE_CREATE_MS = 10 * 60_000;

export interface ReconcileReport {
  orphansRemoved: number;
  markedMissing: number;
  ended: number;
  staleCreatesDeleted: number;
}

/** Our containers on the engine, keyed by session id (from memory while the engine's events are followed). */
export async function containersBySession(deps: SessionDeps): Promise<Map<string, ContainerInfo>> {
  const containers = await deps.containers.list();
  return new Map(containers.map((c) => [c.labels[LABEL_SESSION] ?? '', c]));
}

/** A container whose user ran `mai stop` inside it. */
export function endedFromInside(info: ContainerInfo): boolean {
  return info.state === 'exited' && info.exitCode === SESSION_ENDED_EXIT_CODE;
}

/** The status a row should show for what the engine reports; 'creating' rows are left alone. */
export function statusFor(row: SessionRecord, info: ContainerInfo | undefined): SessionStatus {
  if (row.status === 'creating') return row.status;
  return !info ? 'missing' : info.state === 'running' ? 'running' : 'stopped';
}

/**
 * Brings the store and the engine back in line after a crash or restart:
 * containers without a row are removed, rows whose container vanished are
 * marked missing, sessions ended with `mai stop` are closed, abandoned creates
 * dropped. `close` is the service's own, so an ended session is closed (and
 * its event emitted) exactly as any other.
 */
export async function reconcileSessions(
  deps: SessionDeps,
  close: (session: SessionRecord, reason: 'ended') => Promise<void>,
): Promise<ReconcileReport> {
  const report: ReconcileReport = { orphansRemoved: 0, markedMissing: 0, ended: 0, staleCreatesDeleted: 0 };
  const containers = await containersBySession(deps);
  const rows = await deps.store.listSessions();
  const known = new Set(rows.map((r) => r.id));
  for (const [sessionId, info] of containers) {
    if (known.has(sessionId)) continue;
    await deps.backend.remove(info.id);
    report.orphansRemoved++;
    deps.events.emit('reconcile.orphan_removed', { session: sessionId, container: info.id });
  }
  for (const row of rows) {
    const info = containers.get(row.id);
    if (row.status === 'creating') {
      if (!info && deps.now().getTime() - Date.parse(row.updatedAt) > STALE_CREATE_MS) {
        await deps.store.deleteSession(row.id);
        report.staleCreatesDeleted++;
      }
    } else if (info && endedFromInside(info)) {
      await close(row, 'ended');
      report.ended++;
    } else if (statusFor(row, info) !== row.status) {
      await deps.store.updateSession(row.id, { status: statusFor(row, info) });
      if (!info) {
        report.markedMissing++;
        deps.events.emit('reconcile.marked_missing', { session: row.id, owner: row.owner });
      }
    }
  }
  return report;
}
