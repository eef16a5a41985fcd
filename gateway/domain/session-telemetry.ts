import type { DriverTracing } from '../../drivers/driver-schema.js';
import { LABEL_DRIVER, LABEL_OWNER, LABEL_SESSION, type ContainerLogForwarding } from '../backend/backend.js';
import type { LangfuseProviderConfig, LoggingProviderConfig } from '../config/logging-providers.js';

/**
 * What sessions get from the server's logging providers, decided once per process:
 * their output forwarded to Fluentd by the engine, and their tool's traces exported
 * to Langfuse. Empty for the local CLI.
 */
export interface SessionTelemetry {
  readonly fluentd?: { readonly url: string; readonly tag: string; readonly ack: boolean };
  readonly langfuse?: { readonly url: string; readonly publicKey: string; readonly secretKey: string };
}

export function sessionTelemetry(providers: readonly LoggingProviderConfig[]): SessionTelemetry {
  const fluentd = providers.find((p) => p.type === 'fluentd');
  const langfuse = providers.find((p): p is LangfuseProviderConfig => p.type === 'langfuse' && p.sessionExport);
  return {
    ...(fluentd ? { fluentd: { url: fluentd.url, tag: fluentd.tag, ack: fluentd.ack } } : {}),
    ...(langfuse ? { langfuse: { url: langfuse.url, publicKey: langfuse.publicKey, secretKey: langfuse.secretKey } } : {}),
  };
}

/** The session's output to Fluentd, tagged `TAG.OWNER.SESSION`, each record carrying the session's labels. */
export function logForwarding(telemetry: SessionTelemetry, owner: string, session: string): ContainerLogForwarding | undefined {
  if (!telemetry.fluentd) return undefined;
  const { url, tag, ack } = telemetry.fluentd;
  return { driver: 'fluentd', address: url, tag: `${tag}.${owner}.${session}`, labels: [LABEL_SESSION, LABEL_OWNER, LABEL_DRIVER], ack };
}

/**
 * The variables that make the driver's tool send its traces to Langfuse, for the
 * secret files (they carry the keys): nothing unless both the driver declares
 * `tracing` and the server has a Langfuse provider.
 */
export function tracingEnv(
  tracing: DriverTracing | undefined,
  telemetry: SessionTelemetry,
  ids: { session: string; owner: string; driver: string },
): Record<string, string> {
  const langfuse = telemetry.langfuse;
  if (!tracing || !langfuse) return {};
  const exported: Record<string, string> =
    tracing.export === 'otlp'
      ? {
          // Langfuse's OTLP/HTTP endpoint; exporters append /v1/traces. It takes no gRPC.
          OTEL_EXPORTER_OTLP_ENDPOINT: `${langfuse.url}/api/public/otel`,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
          OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Basic ${Buffer.from(`${langfuse.publicKey}:${langfuse.secretKey}`).toString('base64')}`,
          // On every span the tool exports, so its traces can be found by session and owner.
          OTEL_RESOURCE_ATTRIBUTES: Object.entries({ [LABEL_SESSION]: ids.session, [LABEL_OWNER]: ids.owner, [LABEL_DRIVER]: ids.driver })
            .map(([key, value]) => `${key}=${encodeURIComponent(value)}`)
            .join(','),
        }
      : {
          LANGFUSE_PUBLIC_KEY: langfuse.publicKey,
          LANGFUSE_SECRET_KEY: langfuse.secretKey,
          // The SDKs disagree on the host variable's name (Python: HOST, JS: BASE_URL, goose: URL).
          LANGFUSE_HOST: langfuse.url,
          LANGFUSE_BASE_URL: langfuse.url,
          LANGFUSE_URL: langfuse.url,
        };
  return { ...tracing.env, ...exported };
}
