/**
 * The REST client of remote mode, on Node's global fetch. Every failure comes back
 * as a MaiError: the server's `{code, message}` keeps the server's code, a server
 * that does not answer is REMOTE_UNREACHABLE, anything else INTERNAL with the cause.
 */
import { Readable } from 'node:stream';
import { ERROR_CODES, MaiError, type ErrorCode } from '../../gateway/errors.js';
import type { Remote } from './remotes.js';

/** Gives a bearer token for each request, and a fresh one when the server refused the last. */
export interface TokenSource {
  accessToken(): Promise<string>;
  /** Called once per request after a 401 with `stale`; returns a token to retry with. */
  renewAfterRejection(stale: string): Promise<string>;
}

export interface RequestOptions {
  body?: unknown;
  /** Abort after this many ms (only for calls that must not hang, like a best-effort logout). */
  timeoutMs?: number;
}

export class ApiClient {
  constructor(
    readonly remote: Remote,
    private readonly tokens: TokenSource | null = null,
  ) {}

  /** A JSON call; 204 gives undefined. */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, options);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  /** A streaming call (logs): the body as a Node stream. */
  async stream(method: string, path: string): Promise<Readable> {
    const res = await this.send(method, path, {});
    if (!res.body) return Readable.from([]);
    return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  }

  private async send(method: string, path: string, options: RequestOptions): Promise<Response> {
    let token = this.tokens ? await this.tokens.accessToken() : null;
    let res = await this.fetch(method, path, options, token);
    if (res.status === 401 && this.tokens && token) {
      // The token may have been revoked or expired early: one refresh, one retry.
      await res.body?.cancel();
      token = await this.tokens.renewAfterRejection(token);
      res = await this.fetch(method, path, options, token);
    }
    if (!res.ok) throw await errorFrom(res, this.remote);
    return res;
  }

  private async fetch(method: string, path: string, options: RequestOptions, token: string | null): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(`${this.remote.url}${path}`, {
        method,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        ...(options.timeoutMs ? { signal: AbortSignal.timeout(options.timeoutMs) } : {}),
      });
    } catch (err) {
      throw unreachable(this.remote, err);
    }
  }
}

export function unreachable(remote: Remote, err: unknown): MaiError {
  const cause = (err as { cause?: { code?: string; message?: string } } | null)?.cause;
  const why = err instanceof Error && err.name === 'TimeoutError' ? 'timed out' : (cause?.code ?? cause?.message ?? 'no answer');
  return new MaiError('REMOTE_UNREACHABLE', `cannot reach remote "${remote.name}" at ${remote.url} (${why}); is the server running?`, { cause: err });
}

/** The server's `{code, message}` as a MaiError with the server's code (INTERNAL for codes this CLI does not know). */
async function errorFrom(res: Response, remote: Remote): Promise<MaiError> {
  const text = await res.text().catch(() => '');
  let body: { code?: unknown; message?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // not JSON: a proxy's error page, say
  }
  const message = typeof body.message === 'string' ? body.message : `${remote.url} answered HTTP ${res.status}`;
  const code = typeof body.code === 'string' && body.code in ERROR_CODES ? (body.code as ErrorCode) : 'INTERNAL';
  return new MaiError(code, code === 'INTERNAL' ? `remote "${remote.name}": ${message}` : message);
}
