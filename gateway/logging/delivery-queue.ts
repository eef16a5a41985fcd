import { setTimeout as sleep } from 'node:timers/promises';

/** Why items were given up: the queue was full (the oldest went), or the server stopped before they could go. */
export type DropReason = 'overflow' | 'shutdown';

export interface DeliveryOptions<T> {
  /** Items held at most, in flight included; beyond it the oldest waiting ones are dropped. */
  capacity: number;
  /** Items per `send` (at most `capacity`). */
  batchSize: number;
  /** Delivers one batch; resolves once the peer has it, rejects when it may not (the batch is sent again). */
  send(batch: readonly T[]): Promise<void>;
  onForwarded(count: number): void;
  onDropped(count: number, reason: DropReason): void;
  /** After each attempt: the peer refused or failed (`err`), or took the batch (`null`). */
  onHealth?(err: unknown): void;
  /** Waits between failed attempts: doubling from `initialMs` up to `maxMs`. */
  backoff?: { initialMs: number; maxMs: number };
}

/**
 * A bounded, ordered queue in front of a logging provider. `push` never blocks and
 * never throws: a provider outage costs memory up to `capacity`, then the oldest
 * items. One batch is in flight at a time; a failed batch goes back to the front
 * and is retried with exponential backoff, so items arrive in order, at least once.
 *
 * Lifecycle: created ready; `close(ms)` waits up to `ms` for what is queued to go,
 * then gives up the rest (counted as `shutdown` drops). Idempotent.
 */
export class DeliveryQueue<T> {
  private waiting: T[] = [];
  private inFlight = 0;
  private failures = 0;
  private pumping = false;
  private stopped = false;
  /** Cuts a backoff wait short (close() does, to try once more at once). */
  private wake: AbortController | null = null;
  private drained: (() => void) | null = null;
  private closed: Promise<void> | null = null;

  private readonly batchSize: number;

  constructor(private readonly options: DeliveryOptions<T>) {
    if (options.capacity < 1 || options.batchSize < 1) throw new Error('DeliveryQueue: capacity and batchSize must be positive');
    // The batch in flight is never dropped, so it must fit the bound.
    this.batchSize = Math.min(options.batchSize, options.capacity);
  }

  /** Items held: waiting and in flight. */
  get size(): number {
    return this.waiting.length + this.inFlight;
  }

  push(item: T): void {
    if (this.stopped) return this.options.onDropped(1, 'shutdown');
    this.waiting.push(item);
    this.trim();
    void this.pump();
  }

  close(timeoutMs: number): Promise<void> {
    this.closed ??= (async () => {
      // A last try at once rather than at the end of a backoff wait.
      this.wake?.abort();
      if (this.size > 0) {
        const drained = new Promise<void>((resolve) => (this.drained = resolve));
        const deadline = new AbortController();
        await Promise.race([drained, sleep(timeoutMs, undefined, { signal: deadline.signal }).catch(() => {})]);
        deadline.abort(); // a drained queue leaves no timer behind to hold the process
      }
      this.stopped = true;
      this.wake?.abort();
      if (this.size > 0) this.options.onDropped(this.size, 'shutdown');
      this.waiting = [];
      this.inFlight = 0;
    })();
    return this.closed;
  }

  /** Drops the oldest waiting items while over capacity (never the batch in flight: it is being delivered). */
  private trim(): void {
    const excess = this.size - this.options.capacity;
    if (excess <= 0) return;
    this.waiting.splice(0, excess);
    this.options.onDropped(excess, 'overflow');
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.stopped && this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.batchSize);
        this.inFlight = batch.length;
        try {
          await this.options.send(batch);
          if (this.stopped) return; // counted as shutdown drops by close()
          this.inFlight = 0;
          this.failures = 0;
          this.options.onForwarded(batch.length);
          this.options.onHealth?.(null);
        } catch (err) {
          if (this.stopped) return;
          this.inFlight = 0;
          // Back at the front, in order; the queue may have filled meanwhile.
          this.waiting.unshift(...batch);
          this.trim();
          this.options.onHealth?.(err ?? new Error('send failed'));
          await this.backoff();
        }
      }
      this.drained?.();
    } finally {
      this.pumping = false;
    }
  }

  private async backoff(): Promise<void> {
    const { initialMs, maxMs } = this.options.backoff ?? { initialMs: 200, maxMs: 30_000 };
    const delay = Math.min(maxMs, initialMs * 2 ** this.failures);
    this.failures++;
    this.wake = new AbortController();
    await sleep(delay, undefined, { signal: this.wake.signal, ref: false }).catch(() => {});
    this.wake = null;
  }
}
