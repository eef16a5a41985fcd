import { KeyError, type KeyErrorKind } from '../keys/key-error.js';
import { CERT_REFUSALS } from '../keys/verify-user-certificate.js';

/**
 * The one error type of mai. Every failure a user can see carries a stable code,
 * a one-line message safe to show, and (optionally) the cause for the operator's log.
 * Each front end renders it its own way: the CLI prints the message and exits with
 * the code's exit status, REST answers `{code, message}` with the HTTP status, the
 * SSH gateway writes the message to stderr.
 */
export const ERROR_CODES = {
  CONFIG_INVALID: { http: 500, exit: 78 },
  CONFIG_NOT_FOUND: { http: 500, exit: 78 },
  INPUT_INVALID: { http: 400, exit: 2 },
  AUTH_REQUIRED: { http: 401, exit: 77 },
  AUTH_FAILED: { http: 401, exit: 77 },
  AUTH_FORBIDDEN: { http: 403, exit: 77 },
  /** A device-code login the user has not approved yet; the client polls again. */
  AUTH_PENDING: { http: 400, exit: 77 },
  /** The identity provider could not be reached or answered nonsense. */
  IDP_UNAVAILABLE: { http: 502, exit: 69 },
  /** The identity provider refuses the server itself (its client id or secret): the operator must fix the config. */
  IDP_MISCONFIGURED: { http: 502, exit: 69 },
  RATE_LIMITED: { http: 429, exit: 75 },
  /** Over a server's quota (sessions per user, resource limits, host ports, channels); nothing was created. */
  QUOTA_EXCEEDED: { http: 403, exit: 75 },
  BODY_TOO_LARGE: { http: 413, exit: 2 },
  MEDIA_TYPE_UNSUPPORTED: { http: 415, exit: 2 },
  ROUTE_NOT_FOUND: { http: 404, exit: 4 },
  NOT_READY: { http: 503, exit: 69 },
  CERT_INVALID: { http: 400, exit: 77 },
  // Why the SSH gateway refused an authentication attempt (audited as `auth.refused` reasons; the client only learns "refused").
  AUTH_METHOD: { http: 401, exit: 77 },
  AUTH_NOT_A_CERTIFICATE: { http: 401, exit: 77 },
  AUTH_TOO_MANY_TRIES: { http: 401, exit: 77 },
  CERT_MALFORMED: { http: 401, exit: 77 },
  CERT_NOT_USER: { http: 401, exit: 77 },
  CERT_UNKNOWN_CA: { http: 401, exit: 77 },
  CERT_BAD_CA_SIGNATURE: { http: 401, exit: 77 },
  CERT_NOT_YET_VALID: { http: 401, exit: 77 },
  CERT_EXPIRED: { http: 401, exit: 77 },
  CERT_PRINCIPAL: { http: 401, exit: 77 },
  CERT_NO_PRINCIPALS: { http: 401, exit: 77 },
  CERT_UNKNOWN_CRITICAL_OPTION: { http: 401, exit: 77 },
  CERT_SOURCE_ADDRESS: { http: 401, exit: 77 },
  CERT_REVOKED: { http: 401, exit: 77 },
  CERT_BAD_CLIENT_SIGNATURE: { http: 401, exit: 77 },
  CERT_SIGNATURE_ALGORITHM: { http: 401, exit: 77 },
  SESSION_NOT_FOUND: { http: 404, exit: 4 },
  SESSION_NAME_TAKEN: { http: 409, exit: 5 },
  SESSION_NOT_RUNNING: { http: 409, exit: 5 },
  /** A create this process stalled on (its lease ran out) was rolled back by another process; nothing of it is kept; try again. */
  SESSION_CREATE_ABANDONED: { http: 503, exit: 75 },
  DRIVER_NOT_FOUND: { http: 404, exit: 4 },
  PROJECT_NOT_FOUND: { http: 404, exit: 4 },
  /** `--model NAME/...` or `mai provider remove NAME` names no provider the user may use. */
  PROVIDER_NOT_FOUND: { http: 404, exit: 4 },
  /** `--mcp NAME` or `mai mcp remove NAME` names no MCP server the user may use. */
  MCP_NOT_FOUND: { http: 404, exit: 4 },
  /** No recording of that number for that session (never made, or deleted after its retention). */
  RECORDING_NOT_FOUND: { http: 404, exit: 4 },
  DRIVER_INVALID: { http: 400, exit: 78 },
  DRIVER_BUILD_FAILED: { http: 500, exit: 6 },
  IMAGE_MISSING: { http: 409, exit: 6 },
  DOCKER_UNAVAILABLE: { http: 503, exit: 69 },
  DOCKER_FAILED: { http: 500, exit: 70 },
  /** The engine forwards a session's output and keeps no local copy of it (Docker's dual logging is off). */
  LOGS_UNAVAILABLE: { http: 501, exit: 69 },
  STORE_FAILED: { http: 500, exit: 70 },
  /** The database does not answer (stopped, restarting, unreachable): a passing state; try again shortly. */
  STORE_UNAVAILABLE: { http: 503, exit: 75 },
  NOT_INSIDE_SESSION: { http: 400, exit: 2 },
  /** CLI remote mode: the stored login can no longer be refreshed (expired or revoked); log in again. */
  AUTH_EXPIRED: { http: 401, exit: 79 },
  /** CLI remote mode: `-r NAME` names no configured remote. */
  REMOTE_UNKNOWN: { http: 404, exit: 3 },
  /** CLI remote mode: the server did not answer (refused, DNS, timeout). */
  REMOTE_UNREACHABLE: { http: 502, exit: 68 },
  /** CLI remote mode: the server's TLS certificate is neither the pinned one nor from a trusted CA. */
  REMOTE_UNTRUSTED: { http: 502, exit: 76 },
  /** The client's connection ended while its request was being set up: nobody is left to serve (255, as ssh exits when its connection goes). */
  CONNECTION_CLOSED: { http: 409, exit: 255 },
  INTERNAL: { http: 500, exit: 70 },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

// Fails to compile if keys/ gains a certificate refusal the catalog does not have.
const certRefusalsCatalogued: readonly ErrorCode[] = CERT_REFUSALS;
void certRefusalsCatalogued;

/**
 * The message as one line: control characters (a client's `\r\n` in a name it sent,
 * which messages quote) written as their escapes. Found by the REST fuzzer: a session
 * or project reference with a line break made a refusal of two lines.
 */
function oneLine(message: string): string {
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  return message.replace(/[\x00-\x1f\x7f]/g, (c) => named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export class MaiError extends Error {
  override readonly name = 'MaiError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(oneLine(message), options);
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }
}

/** keys/ speaks of bad material, not of mai's codes; this is where its kinds meet the catalog. */
const KEY_ERROR_CODES: Record<KeyErrorKind, ErrorCode> = {
  MALFORMED: 'INPUT_INVALID',
  UNSUPPORTED: 'INPUT_INVALID',
  CERT_MALFORMED: 'CERT_INVALID',
  KEY_FILE: 'CONFIG_INVALID',
};

/**
 * Wraps anything thrown into a MaiError: keys/ errors get their catalog code,
 * foreign errors become INTERNAL, the original kept as cause either way.
 */
export function toMaiError(err: unknown): MaiError {
  if (err instanceof MaiError) return err;
  if (err instanceof KeyError) return new MaiError(KEY_ERROR_CODES[err.kind], err.message, { cause: err });
  return new MaiError('INTERNAL', 'internal error', { cause: err });
}

/** The cause chain as one string, for operators' logs (never shown to users). */
export function describeCause(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current && depth < 8; depth++) {
    if (current instanceof Error) {
      parts.push(`${current.name}: ${current.message}`);
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join(' <- ');
}
