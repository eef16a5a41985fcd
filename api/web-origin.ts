import type { FastifyRequest } from 'fastify';
import { MaiError } from '../gateway/errors.js';

/**
 * Where browsers reach this server: `server.publicUrl` when configured, else the
 * scheme and Host of each request (same-origin with whatever name the browser used;
 * a browser cannot forge Host, and only browsers send cookies on their own).
 */
export class WebOrigin {
  constructor(private readonly publicUrl: string | undefined) {}

  /** `https://mai.example.com` (no trailing slash). */
  base(request: FastifyRequest): string {
    return this.publicUrl ?? `${request.protocol}://${request.host}`;
  }

  /** Cookies get `Secure` when browsers reach us over TLS (here, or at a proxy in front). */
  secure(request: FastifyRequest): boolean {
    return this.base(request).startsWith('https:') || request.protocol === 'https';
  }

  /**
   * Refuses a request that a page of another origin made (AUTH_FORBIDDEN). WebSockets
   * are not bound by the same-origin policy and carry our cookie (SameSite counts the
   * port-less site, so even another port of this host sends it): without this check any
   * page could open a terminal as the signed-in user. No Origin at all is not a browser.
   */
  check(request: FastifyRequest): void {
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== new URL(this.base(request)).origin) {
      throw new MaiError('AUTH_FORBIDDEN', `requests from ${origin.slice(0, 200)} are not allowed here`);
    }
  }
}
