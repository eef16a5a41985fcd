import { setTimeout as sleep } from 'node:timers/promises';
import { Langfuse } from 'langfuse';
import type { LangfuseProviderConfig } from '../config/logging-providers.js';
import type { DomainEvent } from '../domain/events.js';
import { DeliveryQueue } from './delivery-queue.js';
import type { LoggingProvider, ProviderOptions } from './provider.js';
import { traceOps, type TraceOp } from './session-trace.js';

/** Ingestion items per request. */
const BATCH_SIZE = 50;
const REQUEST_TIMEOUT_MS = 10_000;
/** The SDK queues an item a few microtasks after the call; this only guards against one it never queues. */
const QUEUE_WAIT_MS = 5_000;
/** The SDK's per-item events, emitted once an item is in its queue. */
const QUEUED_EVENTS = ['trace-create', 'event-create'] as const;

/**
 * One Langfuse trace per mai session (see `traceOps`), recorded through the official
 * `langfuse` SDK, which posts batches to `POST /api/public/ingestion` with the keys
 * as basic auth. The SDK's own queue is unbounded and drops a batch after its retries,
 * so it is driven in lockstep: a bounded queue hands it one batch at a time, flushes
 * it, and on failure sends the batch again later (with exponential backoff).
 * Item ids are fixed before the first try, so a batch sent twice updates, never doubles.
 */
export class LangfuseTracer implements LoggingProvider {
  readonly name = 'langfuse';
  private readonly sdk: Langfuse;
  private readonly queue: DeliveryQueue<TraceOp>;

  constructor(config: LangfuseProviderConfig, options: ProviderOptions) {
    this.sdk = new Langfuse({
      publicKey: config.publicKey,
      secretKey: config.secretKey,
      baseUrl: config.url,
      // Flushed here, batch by batch: never on its own (size or timer), never retried inside.
      flushAt: BATCH_SIZE + 1,
      flushInterval: 0,
      fetchRetryCount: 0,
      requestTimeout: REQUEST_TIMEOUT_MS,
      sdkIntegration: 'mai',
    });
    this.queue = new DeliveryQueue<TraceOp>({
      capacity: config.queueSize,
      batchSize: BATCH_SIZE,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...options.reports(() => this.queue.size),
      send: (batch) => this.send(batch),
    });
  }

  onEvent(event: DomainEvent): void {
    for (const op of traceOps(event)) this.queue.push(op);
  }

  /** Traces are about sessions; the server's own errors go to Fluentd and the log. */
  onServerError(): void {}

  close(timeoutMs: number): Promise<void> {
    // Nothing else to release: no timer runs (flushInterval 0), a request in flight ends by its timeout.
    return this.queue.close(timeoutMs);
  }

  private async send(batch: readonly TraceOp[]): Promise<void> {
    const queued = this.queued(batch.length);
    for (const op of batch) {
      if (op.kind === 'trace') this.sdk.trace(op.body);
      else this.sdk.event(op.body);
    }
    await queued;
    await new Promise<void>((resolve, reject) => this.sdk.flush((err?: unknown) => (err ? reject(err) : resolve())));
  }

  /** Resolves once the SDK has queued `count` items (it does so asynchronously). */
  private queued(count: number): Promise<void> {
    let seen = 0;
    let done: () => void = () => {};
    const all = new Promise<void>((resolve) => (done = resolve));
    const unsubscribe = QUEUED_EVENTS.map((name) => this.sdk.on(name, () => ++seen >= count && done()));
    const timer = new AbortController();
    const guard = sleep(QUEUE_WAIT_MS, undefined, { signal: timer.signal, ref: false }).catch(() => {});
    return Promise.race([all, guard]).finally(() => {
      timer.abort();
      unsubscribe.forEach((off) => off());
    });
  }
}
