import { validateConfig, type Env } from '../../gateway/config/load-yaml.js';
import { loggingProvidersSchema } from '../../gateway/config/logging-providers.js';
import { EventBus } from '../../gateway/domain/events.js';
import { jsonLogger } from '../../gateway/log.js';
import { openLoggingProviders, type LoggingProviders } from '../../gateway/logging/logging-providers.js';
import { MetricsRegistry } from '../../gateway/metrics/registry.js';
import { sample } from './metrics.js';

/**
 * One logging provider (as `logging.providers` would list it) on an event bus of
 * its own, with short retry waits, its /metrics series and its operator log at hand.
 */
export class ProviderBench {
  readonly bus = new EventBus();
  readonly log: string[] = [];
  readonly providers: LoggingProviders;
  private readonly metrics = new MetricsRegistry();

  constructor(provider: Record<string, unknown>, env: Env = {}) {
    const configs = validateConfig(loggingProvidersSchema, [provider], '(test)', env);
    this.providers = openLoggingProviders(configs, {
      metrics: this.metrics,
      log: jsonLogger((line) => this.log.push(line)),
      backoff: { initialMs: 50, maxMs: 500 },
    });
    this.bus.subscribe(this.providers.listener);
  }

  /** A series' value, e.g. `mai_logging_forwarded_total{provider="fluentd"}`. */
  series(name: string): number {
    return sample(this.metrics.render(), name);
  }

  /** All of /metrics, for failure messages. */
  metricsText(): string {
    return this.metrics.render();
  }

  close(timeoutMs: number): Promise<void> {
    return this.providers.close(timeoutMs);
  }
}
