import { LABEL_SESSION, LABEL_SIDECAR, SESSION_ENDED_EXIT_CODE, type ContainerInfo } from '../backend/backend.js';
import { LABEL_INSTANCE, type SessionDeps } from './session-deps.js';
import { inFlight, recoverAbandoned, type RecoveryReport } from './session-recovery.js';
import type { SessionRecord, SessionStatus } from './types.js';

export interface ReconcileReport extends RecoveryReport {
  orphansRemoved: number;
  markedMissing: number;
  ended: number;
  /** MCP servers, egress proxies and session networks whose session is gone. */
  sidecarsRemoved: number;
  networksRemoved: number;
}

/**
 * Our session containers on the engine, keyed by session id (their sidecars are not
 * among them); from memory while the engine's events are followed.
 */
export async function containersBySession(deps: SessionDeps): Promise<ReadonlyMap<string, ContainerInfo>> {
  return sessionContainers(await deps.containers.list());
}

/** The index of each listing made: while live, one listing serves every request until a container changes. */
const indexes = new WeakMap<readonly ContainerInfo[], ReadonlyMap<string, ContainerInfo>>();

function sessionContainers(containers: readonly ContainerInfo[]): ReadonlyMap<string, ContainerInfo> {
  let index = indexes.get(containers);
  if (!index) {
    index = new Map(containers.filter((c) => !isSidecar(c)).map((c) => [c.labels[LABEL_SESSION] ?? '', c]));
    indexes.set(containers, index);
  }
  return index;
}

/** An MCP server or egress proxy beside a session: it carries the session's label but is not the session. */
function isSidecar(info: ContainerInfo): boolean {
  return info.labels[LABEL_SIDECAR] !== undefined;
}

/** A container whose user ran `mai stop` inside it. */
export function endedFromInside(info: ContainerInfo): boolean {
  return info.state === 'exited' && info.exitCode === SESSION_ENDED_EXIT_CODE;
}

/** The status a row should show for what the engine reports; rows in flight ('creating', 'closing') are left alone. */
export function statusFor(row: SessionRecord, info: ContainerInfo | undefined): SessionStatus {
  if (inFlight(row)) return row.status;
  return !info ? 'missing' : info.state === 'running' ? 'running' : 'stopped';
}

/**
 * Brings the store and the engine back in line after a crash or restart: first the
 * creates and closes a dead process left in flight are rolled back or finished
 * (`recoverAbandoned`); then containers without a row are removed (and so are sidecars
 * and session networks, found by their labels), rows whose container vanished are
 * marked missing, sessions ended with `mai stop` are closed. `close` is the service's
 * own, so an ended session is closed (and its event emitted) exactly as any other.
 */
export async function reconcileSessions(
  deps: SessionDeps,
  close: (session: SessionRecord, reason: 'ended') => Promise<void>,
): Promise<ReconcileReport> {
  const recovered = await recoverAbandoned(deps);
  const report: ReconcileReport = { ...recovered, orphansRemoved: 0, markedMissing: 0, ended: 0, sidecarsRemoved: 0, networksRemoved: 0 };
  // The engine is read before the store: whatever a concurrent create made, its row was in first.
  const all = await deps.containers.list();
  const containers = sessionContainers(all);
  const sidecars = all.filter(isSidecar);
  const networks = await deps.backend.listNetworks({ [LABEL_INSTANCE]: deps.instanceId, [LABEL_SESSION]: '' });
  const rows = await deps.store.listSessions();
  const known = new Set(rows.map((r) => r.id));
  for (const [sessionId, info] of containers) {
    if (known.has(sessionId)) continue;
    await deps.backend.remove(info.id);
    report.orphansRemoved++;
    deps.events.emit('reconcile.orphan_removed', { session: sessionId, container: info.id });
  }
  for (const sidecar of sidecars) {
    if (known.has(sidecar.labels[LABEL_SESSION] ?? '')) continue;
    await deps.backend.remove(sidecar.id);
    report.sidecarsRemoved++;
  }
  for (const network of networks) {
    if (known.has(network.labels[LABEL_SESSION] ?? '')) continue;
    await deps.backend.removeNetwork(network.name);
    report.networksRemoved++;
  }
  for (const row of rows) {
    const info = containers.get(row.id);
    // In flight in a live process (the dead ones' were recovered above): theirs to finish.
    if (inFlight(row)) continue;
    if (info && endedFromInside(info)) {
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
