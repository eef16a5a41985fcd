import { BoundedMap } from '../bounded-map.js';

/** Addresses whose failures are remembered at once; beyond this the stalest are forgotten. */
const MAX_TRACKED_ADDRESSES = 100_000;

/**
 * Slows down repeated authentication failures from one address: after a few free
 * failures, each further one waits twice as long as the last (capped), so a
 * guessing client gets nowhere fast while a user with a stale certificate is not
 * locked out. Failures are forgotten after `windowMs` of quiet.
 */
export class AuthThrottle {
  private readonly failures: BoundedMap<number>;

  constructor(
    private readonly options: { free: number; baseMs: number; maxMs: number; windowMs?: number },
    now: () => number = Date.now,
  ) {
    this.failures = new BoundedMap(MAX_TRACKED_ADDRESSES, options.windowMs ?? 10 * 60_000, now);
  }

  /** Records a failure and returns how long to wait before answering it. */
  fail(address: string): number {
    const count = (this.failures.get(address) ?? 0) + 1;
    this.failures.set(address, count);
    const over = count - this.options.free;
    return over <= 0 ? 0 : Math.min(this.options.maxMs, this.options.baseMs * 2 ** (over - 1));
  }

  succeed(address: string): void {
    this.failures.delete(address);
  }
}
