import { LABEL_SESSION } from '../backend/backend.js';
import { LABEL_INSTANCE, type SessionDeps } from './session-deps.js';
import { removeSidecars } from './session-sidecars.js';
import type { SessionRecord } from './types.js';

export interface RecoveryReport {
  /** `creating` rows of a dead process: their containers removed, their rows deleted (names free). */
  createsRolledBack: number;
  /** `closing` rows of a dead process: the close finished. */
  closesFinished: number;
}

/**
 * A create or close in flight ('creating', 'closing'): the row is its lease holder's to
 * finish, or, once that holder is gone, `recoverAbandoned`'s; nothing else acts on it.
 */
export function inFlight(session: SessionRecord): boolean {
  return session.status === 'creating' || session.status === 'closing';
}

/**
 * Brings every create or close left in flight by a process that died (its lease
 * abandoned, see `Leases`) to an end a user can act on: a create is rolled back (it may
 * have got as far as a running container, but its user never got an answer), a close is
 * finished. Each row is first taken over (compare-and-set on its lease), so of the
 * processes sharing the store exactly one recovers it, and a holder that was only frozen
 * finds its lease gone and undoes its own work. Runs at every start (in the reconcile)
 * and at every lifecycle pass (the survivors of a crash on a shared store).
 */
export async function recoverAbandoned(deps: SessionDeps): Promise<RecoveryReport> {
  const report: RecoveryReport = { createsRolledBack: 0, closesFinished: 0 };
  const rows = await deps.store.listSessions();
  for (const row of rows) {
    if (!inFlight(row)) continue;
    if (!deps.leases.abandoned(row.id, row.lease, row.updatedAt)) continue;
    deps.leases.hold(row.id);
    try {
      const taken = await deps.store.takeLease(row.id, row.lease ?? { holder: '', expiresAt: '' }, deps.leases.fresh());
      if (!taken) continue; // renewed meanwhile, or another process took it
      // Asked of the engine now, by label: a create may have died before its row learnt the container's id.
      const made = await deps.backend.list({ [LABEL_INSTANCE]: deps.instanceId, [LABEL_SESSION]: row.id });
      // Its sidecars carry its label too; each removal is a no-op when already done.
      for (const id of new Set([...made.map((c) => c.id), ...(taken.containerId ? [taken.containerId] : [])])) await deps.backend.remove(id);
      await removeSidecars(deps.backend, taken.spec);
      if (!(await deps.store.deleteSession(row.id))) continue;
    } finally {
      deps.leases.release(row.id);
    }
    const fields = { session: row.id, owner: row.owner, name: row.name, holder: row.lease?.holder ?? null };
    if (row.status === 'creating') {
      report.createsRolledBack++;
      deps.events.emit('reconcile.create_rolled_back', fields);
    } else {
      report.closesFinished++;
      deps.events.emit('reconcile.close_finished', fields);
    }
  }
  return report;
}
