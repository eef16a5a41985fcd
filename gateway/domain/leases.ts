import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { Lease } from './types.js';

/** How long a lease lasts unless renewed (`sessions.leaseDuration`): another host takes over after this. */
export const DEFAULT_LEASE_SECONDS = 60;

/**
 * The leases of one process: who it is, and the creates and closes it has in flight.
 *
 * A session being created or closed carries a lease (`SessionRecord.lease`): the holder,
 * `HOST/PID/RANDOM` (one process start), and an expiry. While this process lives and
 * holds any, one timer pushes all their expiries forward (one UPDATE, every third of the
 * duration). When the holder is gone, another process may take the row over
 * (`takeLease`, compare-and-set) and roll the create back or finish the close.
 *
 * When is a holder gone (`abandoned`)? Kept simple, in two cases:
 *   - on this host (same host name), at once when its PID no longer runs, or is ours
 *     (a PID is unique among live processes, so the holder was an earlier life of this
 *     one, e.g. PID 1 of a restarted container): a restart rolls back its own
 *     abandoned creates immediately;
 *   - anywhere else, or when the PID runs (perhaps reused), once its lease has expired:
 *     a process on another host cannot see the holder's PID.
 * A wrong "gone" (a frozen process, two hosts with one name and PID) costs a failed
 * create, not a broken one: a create finishes only while it still holds its lease
 * (`updateSession(…, heldBy)`), and otherwise removes what it made.
 *
 * Lifecycle: made once per process; `close()` stops the timer; idempotent.
 */
export class Leases {
  readonly holder: string;
  private readonly host = hostname();
  private readonly held = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    readonly durationMs: number,
    private readonly now: () => Date,
    private readonly log: Logger,
  ) {
    this.holder = `${this.host}/${process.pid}/${randomBytes(4).toString('hex')}`;
  }

  /** A lease of this process, from now. */
  fresh(): Lease {
    return { holder: this.holder, expiresAt: new Date(this.now().getTime() + this.durationMs).toISOString() };
  }

  /** Keeps the session's lease renewed until `release`; called before the lease is written, so that no pass here takes it for abandoned. */
  hold(id: string): void {
    this.held.add(id);
    // Unref'd: a lease never keeps a CLI process alive (its operation does).
    this.timer ??= setInterval(() => void this.renew(), Math.max(100, this.durationMs / 3)).unref();
  }

  release(id: string): void {
    this.held.delete(id);
    if (this.held.size === 0) this.close();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Whether session `id`'s create or close may be taken over now (see the class comment).
   * Our own only once no longer held here and expired: an undo that failed (engine down).
   */
  abandoned(id: string, lease: Lease | undefined, updatedAt: string): boolean {
    const now = this.now().getTime();
    // A row in flight without a lease was written by a mai before leases: gone once a lease would have expired.
    if (!lease) return Date.parse(updatedAt) + this.durationMs <= now;
    const expired = Date.parse(lease.expiresAt) <= now;
    if (lease.holder === this.holder) return !this.held.has(id) && expired;
    const [host, pid] = lease.holder.split('/');
    if (host === this.host && (Number(pid) === process.pid || !pidRuns(Number(pid)))) return true;
    return expired;
  }

  private async renew(): Promise<void> {
    try {
      await this.store.renewLeases(this.holder, this.fresh().expiresAt);
    } catch (err) {
      // The next tick tries again; meanwhile the lease may run out, and the create then fails cleanly.
      this.log.warn('leases.renew_failed', { error: String(err) });
    }
  }
}

function pidRuns(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return true;
  } catch (err) {
    // EPERM: it exists, as another user's process.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
