/**
 * A map that forgets: an entry not written for `ttlMs` is gone, and the map never
 * holds more than `maxSize` entries (the least recently written go first). A Map
 * keeps insertion order and every write re-inserts its key, so the stalest entry is
 * always at the front: pruning looks only there, O(1) amortized per call whatever the
 * size. A flood of new keys (addresses, users) costs no sweep over everything held.
 *
 * For per-client counters (auth failures, rate limits). In memory, per process.
 */
export class BoundedMap<V> {
  private readonly entries = new Map<string, { value: V; at: number }>();

  constructor(
    private readonly maxSize: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.now() - entry.at >= this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, at: this.now() });
    this.prune();
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  private prune(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.maxSize && now - entry.at < this.ttlMs) break;
      this.entries.delete(key);
    }
  }
}
