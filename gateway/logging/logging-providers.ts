import type { LoggingProviderConfig } from '../config/logging-providers.js';
import type { EventListener } from '../domain/events.js';
import type { Logger } from '../log.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import { FluentdForwarder } from './fluentd-forwarder.js';
import { LangfuseTracer } from './langfuse-tracer.js';
import { ProviderMetrics, type LoggingProvider } from './provider.js';

/** The server's logging providers as one subscriber. */
export interface LoggingProviders {
  /** For the event bus: hands each event to every provider (each queues it and returns). */
  readonly listener: EventListener;
  /** For the operational log's error lines (see `withErrorSink`). */
  onServerError(event: string, fields: Record<string, unknown>): void;
  /** Flushes every provider for at most `timeoutMs` (together, not one after the other). Idempotent. */
  close(timeoutMs: number): Promise<void>;
}

export interface LoggingProvidersOptions {
  metrics: MetricsRegistry;
  /** For the providers' own state changes (reachable, unreachable); never the log they feed on. */
  log: Logger;
  /** Reconnection and retry waits (tests shorten them). */
  backoff?: { initialMs: number; maxMs: number };
}

/** Opens the configured providers (`logging.providers`); they connect in the background. */
export function openLoggingProviders(configs: readonly LoggingProviderConfig[], options: LoggingProvidersOptions): LoggingProviders {
  const metrics = new ProviderMetrics(options.metrics);
  const reportsFor = (name: string) => (queued: () => number) => metrics.reports(name, queued, options.log);
  const extra = options.backoff ? { backoff: options.backoff } : {};
  const providers: LoggingProvider[] = configs.map((config) =>
    config.type === 'fluentd'
      ? new FluentdForwarder(config, { reports: reportsFor('fluentd'), ...extra })
      : new LangfuseTracer(config, { reports: reportsFor('langfuse'), ...extra }),
  );
  let closing: Promise<void> | null = null;
  return {
    listener: (event) => providers.forEach((provider) => provider.onEvent(event)),
    onServerError: (event, fields) => providers.forEach((provider) => provider.onServerError(event, fields)),
    close(timeoutMs) {
      closing ??= Promise.all(providers.map((provider) => provider.close(timeoutMs))).then(() => {});
      return closing;
    },
  };
}
