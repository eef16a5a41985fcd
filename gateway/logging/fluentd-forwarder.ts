import { EventTime, FluentClient, FluentSocketEvent } from '@fluent-org/logger';
import { fluentdAddress, type FluentdProviderConfig } from '../config/logging-providers.js';
import type { DomainEvent } from '../domain/events.js';
import { auditRecord } from './audit-log.js';
import { DeliveryQueue } from './delivery-queue.js';
import type { LoggingProvider, ProviderOptions } from './provider.js';

/** One Fluent event: tag, time and record (the forward protocol's `[tag, time, record]`). */
interface FluentEvent {
  tag: string;
  time: Date;
  record: Record<string, unknown>;
}

/** Events per forward message (PackedForward: one message per tag and batch). */
const BATCH_SIZE = 100;
/** How long Fluentd may take to acknowledge a chunk before it is sent again. */
const ACK_TIMEOUT_MS = 10_000;

/**
 * Server events to Fluentd over the Fluent forward protocol (`@fluent-org/logger`):
 * every domain event as an audit record tagged `TAG.server.audit`, and every error
 * line of the operational log tagged `TAG.server.error`. (Session output does not
 * pass through here: the engine's own fluentd log driver sends it.)
 *
 * Delivery: a bounded queue in front of the client; with `ack` (the default) a
 * batch counts as forwarded once Fluentd acknowledged its chunk, and a chunk lost
 * with its connection is sent again. While Fluentd is unreachable the client
 * reconnects with exponential backoff and the queue keeps the newest events.
 */
export class FluentdForwarder implements LoggingProvider {
  readonly name = 'fluentd';
  private readonly client: FluentClient;
  private readonly queue: DeliveryQueue<FluentEvent>;
  private closing: Promise<void> | null = null;

  constructor(private readonly config: FluentdProviderConfig, options: ProviderOptions) {
    const address = fluentdAddress(config.url);
    if (!address) throw new Error(`not a forward URL: ${config.url}`); // the config schema checked it already
    const backoff = options.backoff ?? { initialMs: 500, maxMs: 30_000 };
    this.client = new FluentClient(null, {
      eventMode: 'PackedForward',
      socket: { host: address.host, port: address.port, reconnect: { backoff: 2, delay: backoff.initialMs, maxDelay: backoff.maxMs } },
      ...(config.ack ? { ack: { ackTimeout: ACK_TIMEOUT_MS } } : {}),
      // EventTime (nanosecond) timestamps rather than whole seconds.
      milliseconds: true,
    });
    const reports = options.reports(() => this.queue.size);
    // The socket's own failures (refused, reset) say "unreachable" before any batch times out.
    this.client.socketOn(FluentSocketEvent.ERROR, (err: unknown) => reports.onHealth?.(err ?? new Error('socket error')));
    this.queue = new DeliveryQueue<FluentEvent>({
      capacity: config.queueSize,
      batchSize: BATCH_SIZE,
      backoff,
      ...reports,
      send: (batch) => this.send(batch),
    });
  }

  onEvent(event: DomainEvent): void {
    this.queue.push({ tag: `${this.config.tag}.server.audit`, time: new Date(event.time), record: plain(auditRecord(event)) });
  }

  onServerError(event: string, fields: Record<string, unknown>): void {
    const time = new Date();
    this.queue.push({ tag: `${this.config.tag}.server.error`, time, record: plain({ time: time.toISOString(), level: 'error', event, ...fields }) });
  }

  close(timeoutMs: number): Promise<void> {
    this.closing ??= (async () => {
      await this.queue.close(timeoutMs);
      // Gives up what the client still holds (counted by the queue) and stops reconnecting.
      await this.client.shutdown().catch(() => {});
    })();
    return this.closing;
  }

  /** Resolves once every event of the batch was written (and, with `ack`, acknowledged). */
  private async send(batch: readonly FluentEvent[]): Promise<void> {
    await Promise.all(batch.map((e) => this.client.emit(e.tag, e.record, EventTime.fromDate(e.time))));
  }
}

/** JSON's view of a record: no undefined, no class instances, nothing msgpack would choke on. */
function plain(record: Record<string, unknown>): Record<string, unknown> {
  try {
    return JSON.parse(JSON.stringify(record)) as Record<string, unknown>;
  } catch {
    return { event: record.event, level: record.level, unserializable: true };
  }
}
