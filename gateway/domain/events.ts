/**
 * The one stream of domain facts. The domain core and the front ends emit each fact
 * once, whatever the front end it came through; the audit log, `/metrics` and the
 * logging providers are subscribers. No front end writes audit lines of its own.
 *
 * Events carry ids, names, codes and counts, never a secret: a subscriber may ship
 * them anywhere.
 */

/** Every event type, with the level an audit line shows it at. Add a fact here first. */
export const EVENT_LEVELS = {
  // SSH connections and authentication
  connect: 'info',
  disconnect: 'info',
  /** Closed before authentication: too many unauthenticated connections, or the login grace time ran out. */
  'connection.refused': 'warn',
  'connection.error': 'warn',
  'connection.handshake': 'info',
  'auth.ok': 'info',
  'auth.refused': 'warn',
  'auth.error': 'error',
  // SSH channels
  /** A channel opened, either way (`kind`: session, direct-tcpip, forwarded-tcpip, auth-agent). */
  'channel.opened': 'info',
  'channel.request': 'info',
  'channel.command': 'info',
  'channel.subsystem': 'info',
  'channel.exit': 'info',
  'channel.failed': 'warn',
  /** A channel or subsystem not opened: over the channel quota, or a subsystem under a forced command. */
  'channel.refused': 'warn',
  'process.kill_failed': 'error',
  /** A forward set up (`kind`: local for -L, remote for -R, agent for -A); `forward.closed` when it goes. */
  'forward.open': 'info',
  'forward.closed': 'info',
  'forward.refused': 'warn',
  'forward.failed': 'warn',
  // WebSockets (the web UI's terminal and log follower): an attach is audited like an SSH channel's
  'websocket.refused': 'warn',
  'terminal.opened': 'info',
  'terminal.closed': 'info',
  'terminal.failed': 'warn',
  'logs.followed': 'info',
  // sessions (every front end)
  'session.created': 'info',
  'session.started': 'info',
  /** A client reached a session (SSH shell, exec or sftp), after the ownership check. */
  'session.connect': 'info',
  'session.closed': 'info',
  /** A terminal attached (`by` may be an admin joining someone's session; `readOnly` for watch). */
  'session.attached': 'info',
  /** The lifecycle stopped or closed a session (`reason`: idle or lifetime). */
  'session.reaped': 'info',
  'reconcile.orphan_removed': 'warn',
  'reconcile.marked_missing': 'warn',
  // projects
  'project.added': 'info',
  'project.updated': 'info',
  'project.removed': 'info',
  // model providers and MCP servers users add themselves
  'provider.saved': 'info',
  'provider.removed': 'info',
  'mcp.saved': 'info',
  'mcp.removed': 'info',
  // logins (REST identity side)
  'auth.login': 'info',
  /** A provider login refused for its user name: a local user's, or bound to another account. */
  'auth.identity_refused': 'warn',
  'auth.logout': 'info',
  'auth.certificate_issued': 'info',
  'auth.refresh_refused_by_idp': 'warn',
  'auth.refresh_token_reused': 'warn',
} as const;

export type EventType = keyof typeof EVENT_LEVELS;
export type EventLevel = (typeof EVENT_LEVELS)[EventType];
export type EventFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

export interface DomainEvent {
  readonly type: EventType;
  readonly level: EventLevel;
  /** ISO 8601, UTC. */
  readonly time: string;
  readonly fields: EventFields;
}

/** What emitters hold: the bus, or a view of it that adds fields (a connection id, a user). */
export interface Events {
  emit(type: EventType, fields?: EventFields): void;
  /** An emitter that adds `fields` to every event it emits. */
  with(fields: EventFields): Events;
}

export type EventListener = (event: DomainEvent) => void;

/**
 * Synchronous fan-out to subscribers. A listener must return at once (queue, then
 * ship). A listener that throws harms neither the emitter nor the other listeners:
 * its error goes to `onListenerError`.
 *
 * Lifecycle: lives as long as the process's domain core; `subscribe` returns the
 * unsubscribe function.
 */
export class EventBus implements Events {
  private readonly listeners = new Set<EventListener>();

  constructor(
    private readonly onListenerError: (err: unknown, event: DomainEvent) => void = () => {},
    private readonly now: () => Date = () => new Date(),
  ) {}

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(type: EventType, fields: EventFields = {}): void {
    const event: DomainEvent = { type, level: EVENT_LEVELS[type], time: this.now().toISOString(), fields };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.onListenerError(err, event);
      }
    }
  }

  with(fields: EventFields): Events {
    return scoped(this, fields);
  }
}

function scoped(bus: Events, base: EventFields): Events {
  return {
    emit: (type, fields = {}) => bus.emit(type, { ...base, ...fields }),
    with: (more) => scoped(bus, { ...base, ...more }),
  };
}

/** For a core wired without subscribers (tests of one part, minimal wiring). */
export const noEvents: Events = { emit: () => {}, with: () => noEvents };
