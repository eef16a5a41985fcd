import type { FastifyReply, FastifyRequest } from 'fastify';

/** The web UI's sign-in (a browser token, `mai_bs_...`), sent with every request to this server. */
export const SESSION_COOKIE = 'mai_session';
/** Binds a code-flow login to the browser that started it (RFC 6749 §10.12): the `state` it must come back with. */
export const LOGIN_STATE_COOKIE = 'mai_login_state';

export interface CookieOptions {
  path: string;
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
  /** Only over TLS (set whenever the browser reached us over https). */
  secure: boolean;
}

/**
 * One cookie from the request's `Cookie` header (RFC 6265 §5.4: `name=value; name2=value2`).
 * Our values are base64url, so no quoting or decoding is involved; anything else is ignored.
 */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  for (const pair of (request.headers.cookie ?? '').split(';')) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === name) {
      const value = pair.slice(at + 1).trim();
      return /^[A-Za-z0-9_-]{1,512}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

/**
 * Adds a `Set-Cookie` header. Always HttpOnly (page scripts never see our tokens) and
 * SameSite=Lax: sent on top-level navigations (the identity provider's redirect back
 * to us) but not on other sites' subrequests, forms posted to us or frames.
 */
export function setCookie(reply: FastifyReply, name: string, value: string, options: CookieOptions): void {
  const parts = [`${name}=${value}`, `Path=${options.path}`, `Max-Age=${options.maxAge}`, 'HttpOnly', 'SameSite=Lax'];
  if (options.secure) parts.push('Secure');
  const existing = reply.getHeader('set-cookie');
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  reply.header('set-cookie', [...list, parts.join('; ')]);
}
