import { createHash, timingSafeEqual } from 'node:crypto';
import type { ServiceConfig } from '../config/service-config.js';
import { MaiError } from '../errors.js';
import type { AuthStore } from '../store/auth-store.js';
import { configuredAdmins } from '../users/configured-admins.js';
import type { AuthService, Principal } from './auth-service.js';
import type { IdpIdentity } from './oidc-client.js';
import { hashToken, newOpaqueToken, TOKEN_PREFIXES } from './opaque-token.js';

/** What a web UI sign-in hands the HTTP layer: the cookie's value and when it ends. */
export interface BrowserSignIn {
  /** The cookie value (`mai_bs_...`); only its sha256 is stored. */
  token: string;
  expiresAt: Date;
  user: string;
}

/**
 * Web UI sign-ins. Each is a login of its own (OIDC after the code flow, or `local`
 * after a configured token was typed in) whose one credential is a browser token,
 * kept in the store like the API's tokens: every replica accepts it, and logout (or
 * any revocation of the login) ends it. The token travels only in an HttpOnly
 * cookie; the page never sees it.
 *
 * CSRF: state-changing requests made with the cookie must carry `csrfToken(cookie)`
 * in a header. It is derived from the cookie (a one-way hash), so it needs no
 * storage and is the same on every replica; another site can neither read it (the
 * page gets it from a same-origin response) nor compute it (it never sees the cookie).
 *
 * Lifecycle: part of AuthService; stateless apart from the store.
 */
export class BrowserSessions {
  constructor(
    private readonly auth: ServiceConfig['auth'],
    private readonly store: AuthStore,
    private readonly service: AuthService,
  ) {}

  /** How the web UI signs in: a configured token (`local`) or the identity provider's pages. */
  get signInMethod(): 'token' | 'oidc' {
    return this.auth.provider === 'local' ? 'token' : 'oidc';
  }

  /** After the authorization code flow: a new login for the identity, and its browser token. */
  async signIn(identity: IdpIdentity): Promise<BrowserSignIn> {
    const login = await this.service.openLogin({ ...identity, provider: 'oidc' }, this.auth.browserSessionTtl, 'browser');
    return this.issue(login.id, login.user, login.expiresAt);
  }

  /** `auth.provider: local`: a configured user's static token, typed into the sign-in form. */
  async signInWithToken(token: string): Promise<BrowserSignIn> {
    if (this.auth.provider !== 'local') {
      throw new MaiError('INPUT_INVALID', 'this server signs in through its identity provider, not with a token');
    }
    const { actor, login: existing } = await this.service.authenticate(token);
    // Only the static tokens of auth.users: a bearer token of another login does not mint browser sessions.
    if (existing) throw new MaiError('AUTH_FAILED', 'invalid token');
    const login = await this.service.openLogin(
      { name: actor.name, admin: actor.admin, provider: 'local', subject: null },
      this.auth.browserSessionTtl,
      'browser',
    );
    return this.issue(login.id, login.user, login.expiresAt);
  }

  /**
   * The principal behind a browser token. A `local` login answers to the config as it
   * is now: a user removed from `auth.users` is signed out, and the admin flag is the
   * config's, not the one seen at sign-in.
   */
  async authenticate(token: string): Promise<Principal> {
    const principal = await this.service.principalForToken(token, 'browser');
    if (principal.login?.provider !== 'local') return principal;
    if (!this.auth.users.some((u) => u.name === principal.actor.name)) throw new MaiError('AUTH_FAILED', 'invalid or expired token');
    return { ...principal, actor: { ...principal.actor, admin: configuredAdmins(this.auth).has(principal.actor.name) } };
  }

  /** The CSRF token that goes with a browser token. */
  csrfToken(token: string): string {
    return createHash('sha256').update(`mai-csrf\0${token}`, 'utf8').digest('base64url');
  }

  /** Whether `presented` is the CSRF token of the browser token, compared in constant time. */
  csrfMatches(token: string, presented: string | undefined): boolean {
    const expected = Buffer.from(this.csrfToken(token));
    const given = Buffer.from(presented ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** Ends the sign-in: its login is revoked, with every token and certificate of it. */
  signOut(principal: Principal): Promise<void> {
    return this.service.logout(principal);
  }

  private async issue(loginId: string, user: string, expiresAt: string): Promise<BrowserSignIn> {
    const token = newOpaqueToken(TOKEN_PREFIXES.browser);
    await this.store.insertToken({ hash: hashToken(token), loginId, kind: 'browser', expiresAt, usedAt: null });
    return { token, expiresAt: new Date(expiresAt), user };
  }
}
