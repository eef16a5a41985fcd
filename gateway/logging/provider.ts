import type { DomainEvent } from '../domain/events.js';
import type { Logger } from '../log.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import type { DeliveryOptions } from './delivery-queue.js';

/**
 * A logging provider (Fluentd, Langfuse): a subscriber of the event bus that ships
 * what it is given through its own bounded queue. `onEvent` and `onServerError`
 * return at once whatever the provider's state; nothing they do can block or fail
 * an SSH channel or a request.
 *
 * Lifecycle: ready when constructed (it connects in the background); `close(ms)`
 * sends what it still holds for at most `ms`, then lets go of its connection. Idempotent.
 */
export interface LoggingProvider {
  readonly name: string;
  onEvent(event: DomainEvent): void;
  /** An error line of the server's operational log; providers that take none ignore it. */
  onServerError(event: string, fields: Record<string, unknown>): void;
  close(timeoutMs: number): Promise<void>;
}

/** What a provider's queue reports into: the `/metrics` series, and the operator's log on health changes. */
export type DeliveryReports = Pick<DeliveryOptions<unknown>, 'onForwarded' | 'onDropped' | 'onHealth'>;

/** What a provider is built with besides its config. */
export interface ProviderOptions {
  /** Its reports, given a reader of its queue's size (for the gauge). */
  reports: (queued: () => number) => DeliveryReports;
  /** Reconnection and retry waits (tests shorten them). */
  backoff?: { initialMs: number; maxMs: number };
}

/**
 * The providers' series in the process's registry, labelled by provider:
 * `mai_logging_forwarded_total`, `mai_logging_dropped_total{reason}` (`overflow`:
 * the queue was full, the oldest went; `shutdown`: still held when the server
 * stopped) and `mai_logging_queued`.
 */
export class ProviderMetrics {
  private readonly forwarded;
  private readonly dropped;
  private readonly queues = new Map<string, () => number>();

  constructor(registry: MetricsRegistry) {
    this.forwarded = registry.counter('mai_logging_forwarded_total', 'Events a logging provider accepted.');
    this.dropped = registry.counter('mai_logging_dropped_total', 'Events given up by a logging provider, by reason.');
    registry.gauge('mai_logging_queued', 'Events waiting for a logging provider.', () =>
      [...this.queues].map(([provider, size]) => ({ labels: { provider }, value: size() })),
    );
  }

  /** The reports of one provider; `queued` is read at render time. */
  reports(provider: string, queued: () => number, log: Logger): DeliveryReports {
    this.queues.set(provider, queued);
    // Present from the start at 0, so that rates and alerts work before the first drop.
    this.forwarded.inc({ provider }, 0);
    this.dropped.inc({ provider, reason: 'overflow' }, 0);
    this.dropped.inc({ provider, reason: 'shutdown' }, 0);
    let down = false;
    return {
      onForwarded: (count) => this.forwarded.inc({ provider }, count),
      onDropped: (count, reason) => this.dropped.inc({ provider, reason }, count),
      onHealth: (err) => {
        // Once per change, not per retry: an outage is two lines in the log, not thousands.
        if ((err !== null) === down) return;
        down = err !== null;
        if (down) log.warn('logging.provider_unreachable', { provider, error: err instanceof Error ? err.message : String(err) });
        else log.info('logging.provider_reachable', { provider });
      },
    };
  }
}
