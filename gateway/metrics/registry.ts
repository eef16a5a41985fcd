/**
 * The process's metrics, rendered in the Prometheus text exposition format
 * (version 0.0.4) at `/metrics`. A handful of counters, gauges and histograms
 * needs no client library. Every part of the server registers its own series
 * here (HTTP requests, SSH connections, logging providers); names are
 * `mai_<area>_<what>[_unit]`, labels are small fixed sets (never ids of
 * sessions or users: one series per id would grow without bound).
 *
 * Lifecycle: one registry per process (or per test), created before the parts
 * that register into it; nothing to close.
 */

type Labels = Readonly<Record<string, string>>;

interface Metric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  lines(): string[];
}

/** A monotonic count per label set. */
export class Counter {
  private readonly values = new Map<string, { labels: Labels; value: number }>();

  constructor(readonly name: string, readonly help: string) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    const entry = this.values.get(key) ?? { labels, value: 0 };
    entry.value += by;
    this.values.set(key, entry);
  }

  /** The current count for one label set (tests, and gauges derived from counters). */
  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels))?.value ?? 0;
  }

  lines(): string[] {
    return [...this.values.values()].map((e) => `${this.name}${renderLabels(e.labels)} ${formatNumber(e.value)}`);
  }
}

/** A value that goes up and down, set directly or read from a callback at render time. */
export class Gauge {
  private readonly values = new Map<string, { labels: Labels; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    /** When given, the gauge's value(s) are read at render time (e.g. open connections). */
    private readonly collect?: () => number | ReadonlyArray<{ labels: Labels; value: number }>,
  ) {}

  set(value: number, labels: Labels = {}): void {
    this.values.set(labelKey(labels), { labels, value });
  }

  add(by: number, labels: Labels = {}): void {
    const key = labelKey(labels);
    const entry = this.values.get(key) ?? { labels, value: 0 };
    entry.value += by;
    this.values.set(key, entry);
  }

  get(labels: Labels = {}): number {
    return this.current().find((e) => labelKey(e.labels) === labelKey(labels))?.value ?? 0;
  }

  lines(): string[] {
    return this.current().map((e) => `${this.name}${renderLabels(e.labels)} ${formatNumber(e.value)}`);
  }

  private current(): ReadonlyArray<{ labels: Labels; value: number }> {
    if (!this.collect) return [...this.values.values()];
    const collected = this.collect();
    return typeof collected === 'number' ? [{ labels: {}, value: collected }] : collected;
  }
}

/** Observations in cumulative buckets, with their sum and count. */
export class Histogram {
  private readonly series = new Map<string, { labels: Labels; buckets: number[]; sum: number; count: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    /** Upper bounds, ascending; `+Inf` is implied. */
    private readonly bounds: readonly number[],
  ) {}

  observe(value: number, labels: Labels = {}): void {
    const key = labelKey(labels);
    const entry = this.series.get(key) ?? { labels, buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
    this.bounds.forEach((bound, i) => {
      if (value <= bound) entry.buckets[i]!++;
    });
    entry.sum += value;
    entry.count++;
    this.series.set(key, entry);
  }

  lines(): string[] {
    const out: string[] = [];
    for (const e of this.series.values()) {
      this.bounds.forEach((bound, i) => out.push(`${this.name}_bucket${renderLabels({ ...e.labels, le: String(bound) })} ${e.buckets[i]}`));
      out.push(`${this.name}_bucket${renderLabels({ ...e.labels, le: '+Inf' })} ${e.count}`);
      out.push(`${this.name}_sum${renderLabels(e.labels)} ${formatNumber(e.sum)}`);
      out.push(`${this.name}_count${renderLabels(e.labels)} ${e.count}`);
    }
    return out;
  }
}

export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric>();

  counter(name: string, help: string): Counter {
    return this.register(new Counter(name, help), 'counter');
  }

  gauge(name: string, help: string, collect?: ConstructorParameters<typeof Gauge>[2]): Gauge {
    return this.register(new Gauge(name, help, collect), 'gauge');
  }

  histogram(name: string, help: string, bounds: readonly number[]): Histogram {
    return this.register(new Histogram(name, help, bounds), 'histogram');
  }

  /** The exposition text, every metric with its HELP and TYPE lines. */
  render(): string {
    const lines: string[] = [];
    for (const metric of this.metrics.values()) {
      lines.push(`# HELP ${metric.name} ${metric.help}`, `# TYPE ${metric.name} ${metric.type}`, ...metric.lines());
    }
    return `${lines.join('\n')}\n`;
  }

  private register<T extends Counter | Gauge | Histogram>(metric: T, type: Metric['type']): T {
    if (this.metrics.has(metric.name)) throw new Error(`metric ${metric.name} registered twice`);
    this.metrics.set(metric.name, { name: metric.name, help: metric.help, type, lines: () => metric.lines() });
    return metric;
  }
}

function labelKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

function renderLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(6);
}
