import { Agent, request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';

/**
 * The Docker Engine API over its unix socket, with nothing but node:http: JSON
 * calls, streamed responses (logs, events) and hijacked connections (exec).
 *
 * Why not dockerode for these: loading it (with docker-modem, ssh2 for remote
 * engines, gRPC and protobuf for BuildKit) costs ~0.3 s of CPU in every CLI
 * command, more than the whole command should take. dockerode stays for image
 * builds (context tarring, .dockerignore), loaded only then.
 *
 * Failures are thrown as `EngineError`, shaped as docker-modem's were
 * (`statusCode`, `json`, or a socket error's `code`), so `toDockerError`
 * translates both alike.
 */
export class EngineClient {
  /**
   * Short calls reuse connections (as node's global agent, which dockerode used, does):
   * idle ones are unref'd by the agent, never holding the process, and closed after 5 s.
   */
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 32, timeout: 5000 });

  constructor(readonly socketPath: string) {}

  /** A call whose answer is JSON (or empty); a status of 400 or more throws. */
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const res = await this.send(method, path, payload, payload ? { 'content-type': 'application/json' } : {});
    const text = (await readAll(res)).toString('utf8');
    if ((res.statusCode ?? 0) >= 400) throw engineError(res.statusCode ?? 0, text);
    return (text ? JSON.parse(text) : null) as T;
  }

  /** A call with a raw body (an archive); answers with the status, throwing on 400 and more. */
  async put(path: string, body: Buffer, contentType: string): Promise<void> {
    const res = await this.send('PUT', path, body, { 'content-type': contentType });
    const text = (await readAll(res)).toString('utf8');
    if ((res.statusCode ?? 0) >= 400) throw engineError(res.statusCode ?? 0, text);
  }

  /** A call answered by its status alone (HEAD); returns it, whatever it is. */
  async status(method: string, path: string): Promise<number> {
    const res = await this.send(method, path);
    res.resume();
    return res.statusCode ?? 0;
  }

  /**
   * A streamed answer (logs, events), on a connection of its own: the caller reads
   * it, and destroying it closes the connection.
   */
  async stream(path: string): Promise<IncomingMessage> {
    const res = await this.send('GET', path, undefined, {}, false);
    if ((res.statusCode ?? 0) >= 400) throw engineError(res.statusCode ?? 0, (await readAll(res)).toString('utf8'));
    return res;
  }

  /**
   * A hijacked connection (`POST /exec/ID/start` with `Upgrade: tcp`): after the
   * engine's 101 the socket carries the process's stdin one way and its output
   * the other, with no HTTP framing in between.
   */
  upgrade(path: string, body: unknown): Promise<Socket> {
    const payload = Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request({
        socketPath: this.socketPath,
        method: 'POST',
        path,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': payload.length, connection: 'Upgrade', upgrade: 'tcp' },
      });
      req.on('upgrade', (_res, socket: Socket, head: Buffer) => {
        if (head.length > 0) socket.unshift(head);
        resolve(socket);
      });
      req.on('response', (res: IncomingMessage) => {
        void readAll(res).then((text) => reject(engineError(res.statusCode ?? 0, text.toString('utf8'))), reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  private send(method: string, path: string, body?: Buffer, headers: Record<string, string> = {}, pooled = true): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = request({
        socketPath: this.socketPath,
        method,
        path,
        agent: pooled ? this.agent : false,
        headers: { ...headers, ...(body ? { 'content-length': body.length } : {}) },
      });
      req.on('response', resolve);
      req.on('error', reject);
      req.end(body);
    });
  }
}

/** What the engine said when it refused a call: its status and its `{message}`. */
export class EngineError extends Error {
  constructor(
    readonly statusCode: number,
    readonly json: unknown,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

function engineError(status: number, text: string): EngineError {
  let json: unknown = text;
  try {
    json = JSON.parse(text) as unknown;
  } catch {
    // Not JSON (a proxy's page, an old engine): keep the text as the message.
  }
  const message = typeof json === 'object' && json !== null && typeof (json as { message?: unknown }).message === 'string' ? (json as { message: string }).message : text;
  return new EngineError(status, json, `engine answered ${status}: ${message.trim()}`);
}

function readAll(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** `?a=1&b=x` from the defined entries of `query`; objects (filters) go as JSON, as the API wants. */
export function queryString(query: Record<string, string | number | boolean | object | undefined>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(text)}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}
