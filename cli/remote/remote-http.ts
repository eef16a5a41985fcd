/**
 * Every HTTP request remote mode makes goes out here, with the remote's trust
 * settings applied:
 * - `https://` is verified against the public CAs, or against `caCert` alone, or,
 *   with a pinned `fingerprint`, only against that exact certificate (a self-signed
 *   team server: the pin replaces the CA chain and the host name, as a pinned
 *   known_hosts key does for ssh); the pin is checked before a byte is sent.
 * - `http://` only to this machine, unless the remote was added with `--insecure`:
 *   tokens would otherwise cross the network in clear.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { isLoopbackHost } from '../../gateway/config/loopback.js';
import { MaiError } from '../../gateway/errors.js';
import { normalizeTlsFingerprint } from '../../keys/tls-certificate.js';
import type { Remote } from './remotes.js';

export interface RemoteRequest {
  method: string;
  path: string;
  headers: OutgoingHttpHeaders;
  body?: string;
  /** Abort after this many ms. */
  timeoutMs?: number;
}

/** OpenSSL's words for "this certificate is not one we trust": the user must pin or trust it. */
const UNTRUSTED_CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Sends one request; resolves with the response (status and body stream) once its headers arrive. */
export function sendRemoteRequest(remote: Remote, req: RemoteRequest): Promise<IncomingMessage> {
  const url = new URL(`${remote.url}${req.path}`);
  const secure = url.protocol === 'https:';
  if (!secure && !isLoopbackHost(url.hostname) && !remote.config.insecure) {
    throw new MaiError(
      'CONFIG_INVALID',
      `remote "${remote.name}" is plain http:// to another machine; use https:// (or, knowing tokens then cross the network in clear, add it with --insecure)`,
    );
  }
  const options = { method: req.method, headers: req.headers, ...(secure ? { agent: agentFor(remote) } : {}) };
  return new Promise((resolve, reject) => {
    const request = (secure ? httpsRequest : httpRequest)(url, options, resolve);
    request.on('error', (err) => reject(translate(remote, err)));
    if (req.timeoutMs) {
      const timer = setTimeout(() => request.destroy(Object.assign(new Error('request timed out'), { name: 'TimeoutError' })), req.timeoutMs);
      request.on('close', () => clearTimeout(timer));
    }
    request.end(req.body);
  });
}

/** A fresh agent per request keeps no connection open past the CLI's work. */
function agentFor(remote: Remote): HttpsAgent {
  const { caCert, fingerprint } = remote.config;
  if (fingerprint) return new PinnedAgent(remote, pinOf(remote, fingerprint));
  if (caCert) return new HttpsAgent({ ca: readCaCert(remote, caCert) });
  return new HttpsAgent();
}

/**
 * Connects without the CA check, then, before handing the socket to the request,
 * compares the server's certificate with the pin. Node's http agent accepts a socket
 * through this callback, so nothing (no token) is written before the check.
 */
class PinnedAgent extends HttpsAgent {
  constructor(
    private readonly remote: Remote,
    private readonly pin: string,
  ) {
    super();
  }

  override createConnection(options: ConnectionOptions, done: (err: Error | null, socket?: Duplex) => void): undefined {
    // The pin below replaces chain and name verification; that is the point of pinning.
    const socket = tlsConnect({ ...options, rejectUnauthorized: false });
    const fail = (err: Error) => {
      socket.destroy();
      done(err);
    };
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      socket.off('error', fail);
      const seen = `SHA256:${socket.getPeerCertificate().fingerprint256}`;
      if (seen === this.pin) return done(null, socket);
      fail(
        new MaiError(
          'REMOTE_UNTRUSTED',
          `remote "${this.remote.name}" presented certificate ${seen}, not the pinned ${this.pin}: someone may be in between, or the server has a new certificate (then: mai remote remove ${this.remote.name}, and add it again with the new fingerprint)`,
        ),
      );
    });
    return undefined;
  }
}

function pinOf(remote: Remote, fingerprint: string): string {
  const pin = normalizeTlsFingerprint(fingerprint);
  if (!pin) throw new MaiError('CONFIG_INVALID', `remote "${remote.name}": fingerprint is not a SHA-256 fingerprint (SHA256:AB:CD:...)`);
  return pin;
}

function readCaCert(remote: Remote, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new MaiError('CONFIG_INVALID', `remote "${remote.name}": cannot read caCert ${file}`, { cause: err });
  }
}

function translate(remote: Remote, err: Error): Error {
  if (err instanceof MaiError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code && UNTRUSTED_CERT_CODES.has(code)) {
    return new MaiError(
      'REMOTE_UNTRUSTED',
      `remote "${remote.name}": the server's TLS certificate is not trusted (${code}); add the remote again (mai remote remove ${remote.name}) with --fingerprint SHA256:... as mai serve prints it, or --ca-cert FILE`,
      { cause: err },
    );
  }
  return err;
}
