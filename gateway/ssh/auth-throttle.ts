/**
 * Slows down repeated authentication failures from one address: after a few free
 * failures, each further one waits twice as long as the last (capped), so a
 * guessing client gets nowhere fast while a user with a stale certificate is not
 * locked out. Failures are forgotten after `windowMs` of quiet.
 */
export class AuthThrottle {
  private readonly failures = new Map<string, { count: number; last: number }>();

  constructor(
    private readonly options: { free: number; baseMs: number; maxMs: number; windowMs?: number },
    private readonly now: () => number = Date.now,
  ) {}

  private get windowMs(): number {
    return this.options.windowMs ?? 10 * 60_000;
  }

  /** Records a failure and returns how long to wait before answering it. */
  fail(address: string): number {
    const now = this.now();
    const entry = this.failures.get(address);
    const count = entry && now - entry.last < this.windowMs ? entry.count + 1 : 1;
    this.failures.set(address, { count, last: now });
    if (this.failures.size > 10_000) this.prune(now);
    const over = count - this.options.free;
    return over <= 0 ? 0 : Math.min(this.options.maxMs, this.options.baseMs * 2 ** (over - 1));
  }

  succeed(address: string): void {
    this.failures.delete(address);
  }

  private prune(now: number): void {
    for (const [address, entry] of this.failures) {
      if (now - entry.last >= this.windowMs) this.failures.delete(address);
    }
  }
}
