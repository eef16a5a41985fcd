import { silentLogger, type Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { noEvents, type Events } from './events.js';
import { lastActive, lifetimeDeadline, nextDeadline, type Deadline, type LifecycleSettings } from './lifecycle-rules.js';
import type { Recordings } from './recordings.js';
import type { NoticeTarget } from './session-clients.js';
import type { SessionService } from './session-service.js';
import { inFlight } from './session-recovery.js';
import type { Actor, SessionRecord } from './types.js';

export interface LifecycleOptions {
  store: Store;
  sessions: SessionService;
  settings: LifecycleSettings;
  /** Deleted when past their retention; none: nothing to prune. */
  recordings?: Recordings;
  events?: Events;
  log?: Logger;
  now?: () => Date;
  /** Time between passes; default from the settings (see `passInterval`). */
  intervalMs?: number;
}

/** Who the lifecycle's closes are by, in their `session.closed` facts. */
const LIFECYCLE_ACTOR: Actor = { name: 'mai-lifecycle', admin: true, via: 'lifecycle' };
const PRUNE_EVERY_MS = 3600_000;

/**
 * The session lifecycle: ONE timer drives passes (never two at once) that, in order,
 *   1. heartbeat: record in the store that the sessions with a client in this process are
 *      in use (that is how processes sharing the store see each other's clients);
 *   2. warn: write one line to each terminal attached here to a session whose lifetime
 *      ends within `warnBeforeSeconds`;
 *   3. reap: stop or close each session past its deadline (idle, or lifetime), audited
 *      as `session.reaped` with the reason. Every process sharing the store runs passes;
 *      the store's claim (`claimSession`, compare-and-set on the last activity) lets
 *      exactly one of them act on a session, and a heartbeat in between cancels it;
 *   4. prune: delete recordings past their retention (hourly);
 *   5. recover: roll back the creates and finish the closes whose process died
 *      (`SessionService.recover`: their leases abandoned; a compare-and-set on the lease
 *      lets exactly one process act on each). Leases are renewed by their holder (`Leases`).
 *
 * Lifecycle: `start()` once; `close()` stops the timer and waits for a running pass;
 * idempotent. `pass()` runs one pass by itself (the CLI's local mode, tests).
 */
export class SessionLifecycle {
  private readonly events: Events;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private closed = false;
  private lastPrune = 0;
  /** Terminals warned already, so each gets its warning once. */
  private readonly warned = new WeakSet<NoticeTarget>();

  constructor(private readonly options: LifecycleOptions) {
    this.events = options.events ?? noEvents;
    this.log = options.log ?? silentLogger;
    this.now = options.now ?? (() => new Date());
    this.intervalMs = options.intervalMs ?? passInterval(options.settings, options.sessions.leaseMs);
  }

  start(): void {
    if (this.timer || this.closed) return;
    const next = (): void => {
      this.timer = setTimeout(() => {
        this.running = this.pass().finally(() => {
          this.running = null;
          if (!this.closed) next();
        });
      }, this.intervalMs);
      this.timer.unref();
    };
    next();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One pass; a failure is logged, and the next pass tries again. */
  async pass(): Promise<void> {
    try {
      const { store, sessions } = this.options;
      const now = this.now();
      for (const id of sessions.clients.sessionIds()) await store.touchSession(id, now.toISOString());
      const recovered = await sessions.recover();
      if (recovered.createsRolledBack || recovered.closesFinished) this.log.info('lifecycle.recovered', { ...recovered });
      // The engine is asked only when a session could have a deadline at all (on the CLI's machine, mostly none).
      const rows = await store.listSessions();
      if (rows.some((row) => nextDeadline({ ...row, status: 'running' }, this.options.settings))) {
        // Read after the heartbeat, statuses as the engine has them.
        for (const session of await sessions.list(LIFECYCLE_ACTOR, { all: true })) {
          if (inFlight(session)) continue;
          this.warn(session, now);
          const deadline = nextDeadline(session, this.options.settings);
          if (deadline && Date.parse(deadline.at) <= now.getTime()) await this.reap(session, deadline, now);
        }
      }
      if (this.options.recordings && now.getTime() - this.lastPrune >= PRUNE_EVERY_MS) {
        this.lastPrune = now.getTime();
        const removed = this.options.recordings.prune(now);
        if (removed > 0) this.log.info('lifecycle.recordings_pruned', { removed });
      }
    } catch (err) {
      this.log.error('lifecycle.pass_failed', { error: String(err) });
    }
  }

  private warn(session: SessionRecord, now: Date): void {
    const end = lifetimeDeadline(session, this.options.settings);
    if (end === undefined) return;
    const left = Date.parse(end) - now.getTime();
    if (left <= 0 || left > this.options.settings.warnBeforeSeconds * 1000) return;
    const minutes = Math.max(1, Math.ceil(left / 60_000));
    const line = `mai: this session's lifetime ends in ${minutes < 2 ? 'a minute or less' : `${minutes} minutes`} (${end}); it will be closed then, with everything in it`;
    for (const terminal of this.options.sessions.clients.terminals(session.id)) {
      if (this.warned.has(terminal)) continue;
      this.warned.add(terminal);
      terminal.notify(line);
    }
  }

  private async reap(session: SessionRecord, deadline: Deadline, now: Date): Promise<void> {
    const { store, sessions } = this.options;
    // In use here (a client came after the heartbeat): not idle, whatever the row says.
    if (deadline.reason === 'idle' && sessions.clients.has(session.id)) return;
    if (!(await store.claimSession(session.id, session.lastActiveAt, now.toISOString()))) return;
    try {
      if (deadline.action === 'stop') await sessions.stop(session);
      else await sessions.close(session, { by: LIFECYCLE_ACTOR, reason: deadline.reason });
    } catch (err) {
      this.log.error('lifecycle.reap_failed', { session: session.id, action: deadline.action, error: String(err) });
      return;
    }
    this.events.emit('session.reaped', {
      session: session.id,
      owner: session.owner,
      reason: deadline.reason,
      action: deadline.action,
      deadline: deadline.at,
      lastActiveAt: lastActive(session),
    });
  }
}

/**
 * A quarter of the shortest setting that needs watching (idle timeout, warning lead), and
 * at most a third of the lease (an abandoned create is taken over soon after its lease
 * ends), between 1 and 30 s.
 */
export function passInterval(settings: LifecycleSettings, leaseMs = Infinity): number {
  const watched = [settings.idleTimeoutSeconds, settings.warnBeforeSeconds].filter((s): s is number => s !== undefined);
  return Math.max(1000, Math.min(30_000, leaseMs / 3, ...watched.map((s) => (s * 1000) / 4)));
}
