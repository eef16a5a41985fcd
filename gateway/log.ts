/**
 * Structured logging: one JSON object per line. Fields must never carry secrets;
 * callers pass ids and codes, not tokens or keys.
 */
export interface Logger {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `fields` to every line (e.g. a connection id). */
  child(fields: Record<string, unknown>): Logger;
}

export function jsonLogger(write: (line: string) => void, base: Record<string, unknown> = {}): Logger {
  const emit = (level: string) => (event: string, fields: Record<string, unknown> = {}) =>
    write(`${JSON.stringify({ time: new Date().toISOString(), level, event, ...base, ...fields })}\n`);
  return {
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (fields) => jsonLogger(write, { ...base, ...fields }),
  };
}

export const silentLogger: Logger = jsonLogger(() => {});

/**
 * The same logger, whose error lines also go to `sink` (the logging providers):
 * the server's errors reach Fluentd without any caller knowing. A sink that throws
 * does not cost the line its place in the log.
 */
export function withErrorSink(log: Logger, sink: (event: string, fields: Record<string, unknown>) => void): Logger {
  return {
    info: (event, fields) => log.info(event, fields),
    warn: (event, fields) => log.warn(event, fields),
    error: (event, fields = {}) => {
      log.error(event, fields);
      try {
        sink(event, fields);
      } catch {
        // The line is in the log; a provider's trouble is its own (it reports it there).
      }
    },
    child: (fields) => withErrorSink(log.child(fields), (event, more) => sink(event, { ...fields, ...more })),
  };
}
