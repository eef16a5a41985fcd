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
