import { MaiError } from '../errors.js';

/** What an engine failure carries: `EngineError`'s fields (the same docker-modem gives image builds), or a socket error's `code`. */
interface ModemError {
  code?: string;
  statusCode?: number;
  reason?: string;
  json?: unknown;
  message?: string;
}

/** Network-level failures that mean "no engine answering at that socket". */
const UNAVAILABLE_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTSOCK', 'ECONNRESET', 'EPIPE']);

export function statusCodeOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null ? (err as ModemError).statusCode : undefined;
}

/** The engine's own message ("No such image: x"), without docker-modem's "(HTTP code ...)" prefix. */
export function engineMessage(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err);
  const e = err as ModemError;
  const json = e.json;
  if (typeof json === 'object' && json !== null && typeof (json as { message?: unknown }).message === 'string') {
    return (json as { message: string }).message.trim();
  }
  if (typeof json === 'string' && json.trim() !== '') return json.trim();
  if (Buffer.isBuffer(json) && json.length > 0) return json.toString('utf8').trim();
  const message = e.message ?? String(err);
  // "(HTTP code 404) no such container - No such container: abc "
  const m = /^\(HTTP code \d+\) [^-]*- (.*)$/s.exec(message);
  return (m?.[1] ?? message).trim();
}

/**
 * Translates anything an engine call throws into the backend's error set, keeping
 * the original as `cause` for the operator's log.
 */
export function toDockerError(err: unknown, socketPath: string): MaiError {
  if (err instanceof MaiError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as ModemError;
  if (e.code && UNAVAILABLE_CODES.has(e.code) && e.statusCode === undefined) {
    return new MaiError('DOCKER_UNAVAILABLE', `Docker is not running or not reachable at ${socketPath}`, { cause: err });
  }
  const message = engineMessage(err);
  if (e.statusCode === 404 && /no such image/i.test(message)) {
    return new MaiError('IMAGE_MISSING', message, { cause: err });
  }
  if (e.statusCode === 501 && /does not support reading/i.test(message)) {
    // A remote log driver (fluentd) with Docker's dual logging turned off: nothing local to read.
    return new MaiError('LOGS_UNAVAILABLE', 'the engine keeps no local copy of this output (dual logging is off); read it where it is forwarded', { cause: err });
  }
  return new MaiError('DOCKER_FAILED', message || 'Docker request failed', { cause: err });
}
