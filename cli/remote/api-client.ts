/**
 * The REST client of remote mode, on `sendRemoteRequest` (so every call gets the
 * remote's TLS pin or CA). Every failure comes back as a MaiError: the server's
 * `{code, message}` keeps the server's code, a server that does not answer is
 * REMOTE_UNREACHABLE, one whose certificate is not trusted REMOTE_UNTRUSTED.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { ERROR_CODES, MaiError, type ErrorCode } from '../../gateway/errors.js';
import { sendRemoteRequest } from './remote-http.js';
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
    const text = await readText(res).catch((err: unknown) => {
      throw unreachable(this.remote, err);
    });
    if (res.statusCode === 204) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new MaiError('INTERNAL', `remote "${this.remote.name}": ${path} answered something other than JSON`, { cause: err });
    }
  }

  /** A streaming call (logs): the body as a Node stream. */
  stream(method: string, path: string): Promise<Readable> {
    return this.send(method, path, {});
  }

  private async send(method: string, path: string, options: RequestOptions): Promise<IncomingMessage> {
    let token = this.tokens ? await this.tokens.accessToken() : null;
    let res = await this.request(method, path, options, token);
    if (res.statusCode === 401 && this.tokens && token) {
      // The token may have been revoked or expired early: one refresh, one retry.
      res.resume();
      token = await this.tokens.renewAfterRejection(token);
      res = await this.request(method, path, options, token);
    }
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) throw await errorFrom(res, this.remote);
    return res;
  }

  private async request(method: string, path: string, options: RequestOptions, token: string | null): Promise<IncomingMessage> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await sendRemoteRequest(this.remote, {
        method,
        path,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      });
    } catch (err) {
      throw err instanceof MaiError ? err : unreachable(this.remote, err);
    }
  }
}

export function unreachable(remote: Remote, err: unknown): MaiError {
  const error = err as { name?: string; code?: string; message?: string } | null;
  const why = error?.name === 'TimeoutError' ? 'timed out' : (error?.code ?? error?.message ?? 'no answer');
  return new MaiError('REMOTE_UNREACHABLE', `cannot reach remote "${remote.name}" at ${remote.url} (${why}); is the server running?`, { cause: err });
}

async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The server's `{code, message}` as a MaiError with the server's code (INTERNAL for codes this CLI does not know). */
async function errorFrom(res: IncomingMessage, remote: Remote): Promise<MaiError> {
  const text = await readText(res).catch(() => '');
  let body: { code?: unknown; message?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // not JSON: a proxy's error page, say
  }
  const message = typeof body.message === 'string' ? body.message : `${remote.url} answered HTTP ${res.statusCode}`;
  const code = typeof body.code === 'string' && body.code in ERROR_CODES ? (body.code as ErrorCode) : 'INTERNAL';
  return new MaiError(code, code === 'INTERNAL' ? `remote "${remote.name}": ${message}` : message);
}
