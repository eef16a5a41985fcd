import type { DomainEvent, EventListener } from '../domain/events.js';
import type { MetricsRegistry } from './registry.js';

/** Labels come from small fixed sets; anything else is counted as `other` (never an id or a user). */
const CHANNEL_KINDS = new Set(['session', 'direct-tcpip', 'forwarded-tcpip', 'auth-agent']);
const FORWARD_KINDS = new Set(['local', 'remote', 'agent']);
const ROUTES = new Set(['shell', 'exec', 'watch', 'new', 'sftp']);
/** Seconds: from a quick command to a working day in a terminal. */
const DURATION_BOUNDS = [0.1, 0.5, 1, 5, 30, 60, 300, 1800, 3600, 4 * 3600, 12 * 3600];

/**
 * The SSH gateway's series, derived from the event stream where the fact is one
 * (connections, authentication attempts, channels, forwards, how long commands ran,
 * sessions reaped), and byte counters that the bridge feeds (`traffic`), since a count
 * of bytes is no fact worth an event.
 */
export function registerSshMetrics(registry: MetricsRegistry): {
  listener: EventListener;
  traffic: { received(bytes: number): void; sent(bytes: number): void };
} {
  const open = registry.gauge('mai_ssh_connections_open', 'SSH connections open now.');
  const connections = registry.counter('mai_ssh_connections_total', 'SSH connections accepted.');
  const auth = registry.counter('mai_ssh_auth_attempts_total', 'SSH authentication attempts, by result and refusal reason.');
  const channels = registry.counter('mai_ssh_channels_total', 'SSH channels opened, by kind.');
  const bytes = registry.counter('mai_ssh_bytes_total', 'Bytes carried between SSH clients and sessions (in: from the client).');
  const durations = registry.histogram('mai_ssh_exec_duration_seconds', 'How long SSH session channels ran (commands, shells, sftp), by route.', DURATION_BOUNDS);
  const forwards = registry.gauge('mai_ssh_forwards_active', 'Forwards active now: local (-L connections), remote (-R listeners), agent (-A sockets).');
  const reaped = registry.counter('mai_sessions_reaped_total', 'Sessions stopped or closed by the lifecycle, by reason and action.');

  const listener = (event: DomainEvent): void => {
    const f = event.fields;
    switch (event.type) {
      case 'connect':
        connections.inc();
        open.add(1);
        break;
      case 'disconnect':
        open.add(-1);
        break;
      case 'auth.ok':
        auth.inc({ result: 'ok', reason: '' });
        break;
      case 'auth.refused':
        auth.inc({ result: 'refused', reason: String(f.reason ?? 'unknown') });
        break;
      case 'auth.error':
        auth.inc({ result: 'error', reason: '' });
        break;
      case 'channel.opened':
        channels.inc({ kind: known(CHANNEL_KINDS, f.kind) });
        break;
      case 'channel.exit':
        if (typeof f.seconds === 'number') durations.observe(f.seconds, { route: known(ROUTES, f.route) });
        break;
      case 'forward.open':
        forwards.add(1, { kind: known(FORWARD_KINDS, f.kind) });
        break;
      case 'forward.closed':
        forwards.add(-1, { kind: known(FORWARD_KINDS, f.kind) });
        break;
      case 'session.reaped':
        reaped.inc({ reason: String(f.reason), action: String(f.action) });
        break;
      default:
        break;
    }
  };
  return {
    listener,
    traffic: {
      received: (n) => bytes.inc({ direction: 'in' }, n),
      sent: (n) => bytes.inc({ direction: 'out' }, n),
    },
  };
}

function known(values: ReadonlySet<string>, value: unknown): string {
  return typeof value === 'string' && values.has(value) ? value : 'other';
}
