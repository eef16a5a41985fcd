import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { ServiceConfig } from '../config/service-config.js';
import type { CertificateAuthority } from '../domain/certificate-authority.js';
import { noEvents, type Events } from '../domain/events.js';
import type { Actor } from '../domain/types.js';
import { MaiError } from '../errors.js';
import type { AuthStore, LoginRecord, TokenKind, TokenRecord } from '../store/auth-store.js';
import { configuredAdmins } from '../users/configured-admins.js';
import type { UserDirectory } from '../users/user-directory.js';
import { BrowserSessions } from './browser-sessions.js';
import type { IdpIdentity, OidcClient } from './oidc-client.js';
import { hashToken, newOpaqueToken, TOKEN_PREFIXES } from './opaque-token.js';
import { decryptAtRest, encryptAtRest } from '../../keys/secret-box.js';

/** Who made a request: the actor, and the login it came through (null for a static local token). */
export interface Principal {
  actor: Actor;
  login: LoginRecord | null;
}

/** Who a new login is for: a provider identity, or a configured local user (no subject, no provider token). */
export interface LoginSubject {
  name: string;
  admin: boolean;
  provider: LoginRecord['provider'];
  subject: string | null;
  refreshToken?: string | null;
}

/** What a successful login or refresh returns to the client. */
export interface TokenPair {
  tokenType: 'Bearer';
  accessToken: string;
  /** Seconds. */
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
  user: string;
  admin: boolean;
}

export interface IssuedCertificateView {
  certificate: string;
  serial: string;
  keyId: string;
  principal: string;
  validBefore: string;
}

export interface AuthServiceOptions {
  auth: ServiceConfig['auth'];
  store: AuthStore;
  ca: CertificateAuthority;
  /** Null with `auth.provider: local`. */
  oidc: OidcClient | null;
  /** Encrypts the provider's refresh tokens in the store (they are long-lived credentials). */
  atRestKey: Uint8Array;
  /** Who is an admin, for REST as for the SSH gateway: the one directory both ask. */
  users: UserDirectory;
  /** Logins, logouts and issued certificates are facts on the bus. */
  events?: Events;
  now?: () => Date;
}

/**
 * The identity side of the REST API, independent of HTTP: turns bearer tokens into
 * principals, provider identities into logins with the server's own rotating tokens,
 * and logins into certificates. Logout revokes tokens and certificate serials; the
 * SSH gateway learns of the latter through `StoreUserDirectory`.
 *
 * Lifecycle: stateless apart from the store; nothing to start or close.
 */
export class AuthService {
  private readonly events: Events;
  private readonly now: () => Date;
  /** sha256 of each static token -> its user, compared in constant time. */
  private readonly localUsers: { hash: Buffer; actor: Actor }[];
  private readonly admins: ReadonlySet<string>;
  /** Names the config's local users hold. */
  private readonly localNames: ReadonlySet<string>;

  /** Web UI sign-ins: logins whose credential is a cookie. */
  readonly browser: BrowserSessions;

  constructor(private readonly options: AuthServiceOptions) {
    this.events = options.events ?? noEvents;
    this.now = options.now ?? (() => new Date());
    this.admins = configuredAdmins(options.auth);
    this.localNames = new Set(options.auth.users.map((u) => u.name));
    this.browser = new BrowserSessions(options.auth, options.store, this);
    this.localUsers = options.auth.users.map((u) => ({
      hash: Buffer.from(hashToken(u.token), 'hex'),
      actor: { name: u.name, admin: this.admins.has(u.name) },
    }));
  }

  get oidc(): OidcClient {
    if (!this.options.oidc) {
      throw new MaiError('INPUT_INVALID', 'this server has no identity provider (auth.provider is local): use a configured token');
    }
    return this.options.oidc;
  }

  /** The principal behind an `Authorization: Bearer` token; AUTH_REQUIRED without one, AUTH_FAILED for a bad one. */
  async authenticate(bearer: string | undefined): Promise<Principal> {
    if (!bearer) throw new MaiError('AUTH_REQUIRED', 'authentication required: send Authorization: Bearer <token>');
    const local = this.localUser(hashToken(bearer));
    if (local) return { actor: local, login: null };
    return this.principalForToken(bearer, 'access');
  }

  /** The principal behind one of the server's own tokens of `kind`; AUTH_FAILED when unknown, expired or its login ended. */
  async principalForToken(token: string, kind: TokenKind): Promise<Principal> {
    const { login } = await this.liveToken(token, kind);
    // Asked at every request, as the SSH gateway asks at every connection: one answer, current.
    return { actor: { name: login.user, admin: await this.options.users.isAdmin(login.user) }, login };
  }

  /** The stored token and its login, if the token is of `kind`, unexpired, and its login active. */
  private async liveToken(token: string, kind: TokenKind): Promise<{ token: TokenRecord; login: LoginRecord }> {
    const found = token.startsWith(`${TOKEN_PREFIXES[kind]}_`) ? await this.options.store.findToken(hashToken(token)) : null;
    const stamp = this.now().toISOString();
    if (!found || found.token.kind !== kind || found.token.expiresAt <= stamp || !this.loginActive(found.login, stamp)) {
      throw new MaiError('AUTH_FAILED', `invalid or expired ${kind === 'refresh' ? 'refresh token' : 'token'}`);
    }
    return found;
  }

  private async sealIdpToken(loginId: string, token: string | null | undefined): Promise<string | null> {
    return token ? encryptAtRest(this.options.atRestKey, token, idpContext(loginId)) : null;
  }

  /** Starts a login for a provider identity (after the code or device flow) and issues the first tokens. */
  async createLogin(identity: IdpIdentity): Promise<TokenPair> {
    const login = await this.openLogin({ ...identity, provider: 'oidc' }, this.options.auth.refreshTokenTtl, 'api');
    return this.issueTokens(login);
  }

  /**
   * Records a new login of `who`, ending in `ttlSeconds` unless refreshed, and says so
   * on the bus. The provider's refresh token is sealed; the provider's word on admin is
   * kept for the SSH gateway (a configured local user's flag comes from the config).
   */
  async openLogin(who: LoginSubject, ttlSeconds: number, client: 'api' | 'browser'): Promise<LoginRecord> {
    const now = this.now();
    if (who.provider === 'oidc') await this.bindName(who, client);
    const login: LoginRecord = {
      id: randomUUID(),
      user: who.name,
      admin: who.admin || this.admins.has(who.name),
      provider: who.provider,
      subject: who.subject,
      idpRefreshToken: null,
      createdAt: now.toISOString(),
      // However often it is refreshed, a login ends `auth.maxLoginHours` after it began.
      expiresAt: this.after(now, Math.min(ttlSeconds, this.options.auth.maxLoginHours * 3600)),
      revokedAt: null,
    };
    const sealedRefresh = await this.sealIdpToken(login.id, who.refreshToken);
    await this.options.store.insertLogin({ ...login, idpRefreshToken: sealedRefresh });
    if (who.provider === 'oidc') await this.options.store.upsertUser(login.user, login.admin, login.createdAt);
    this.events.emit('auth.login', { user: login.user, login: login.id, admin: login.admin, client });
    return login;
  }

  /**
   * A user name means one account at the provider: the first account that logs in with
   * it keeps it, and another account whose username claim now says the same name (a
   * rename, a reused name) is refused. Names of the config's local users are not the
   * provider's to give.
   */
  private async bindName(who: LoginSubject, client: 'api' | 'browser'): Promise<void> {
    const refuse = (reason: string, message: string): never => {
      this.events.emit('auth.identity_refused', { user: who.name, reason, client });
      throw new MaiError('AUTH_FORBIDDEN', message);
    };
    if (this.localNames.has(who.name)) {
      refuse('LOCAL_USER', `the user name "${who.name}" is a local user of this server; the identity provider cannot claim it`);
    }
    const issuer = this.options.oidc?.issuer ?? '';
    const bound = await this.options.store.claimName(who.name, issuer, who.subject ?? '', this.now().toISOString());
    if (bound.issuer !== issuer || bound.subject !== who.subject) {
      refuse('NAME_BOUND', `the user name "${who.name}" belongs to another account at the identity provider; ask an admin of this server`);
    }
  }

  /**
   * Rotates a refresh token. The provider is asked again when it gave a refresh token,
   * so a user disabled there loses access here at the next refresh. A refresh token
   * used twice means it leaked: the whole login is revoked.
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const store = this.options.store;
    const hash = hashToken(refreshToken);
    const found = await this.liveToken(refreshToken, 'refresh');
    const stamp = this.now().toISOString();
    const { login } = found;
    if (found.token.usedAt) return this.revokeForReuse(login);

    let identity: IdpIdentity | null = null;
    if (login.idpRefreshToken && login.subject) {
      try {
        identity = await this.oidc.refresh(await decryptAtRest(this.options.atRestKey, login.idpRefreshToken, idpContext(login.id)), login.subject);
      } catch (err) {
        if (err instanceof MaiError && (err.code === 'AUTH_FAILED' || err.code === 'AUTH_FORBIDDEN')) {
          await store.revokeLogins({ loginId: login.id }, stamp);
          this.events.emit('auth.refresh_refused_by_idp', { user: login.user, login: login.id });
        }
        throw err;
      }
      if (identity.name !== login.user) {
        await store.revokeLogins({ loginId: login.id }, stamp);
        throw new MaiError('AUTH_FAILED', 'the identity provider now names another user; log in again');
      }
    }

    const maxEnd = Date.parse(login.createdAt) + this.options.auth.maxLoginHours * 3600_000;
    const expiresAt = new Date(Math.min(this.now().getTime() + this.options.auth.refreshTokenTtl * 1000, maxEnd)).toISOString();
    // Re-evaluated at every refresh: the provider's word when it gave one, else the config's.
    const admin = identity ? identity.admin || this.admins.has(identity.name) : this.admins.has(login.user);
    // Crash order: everything is written before the old refresh token is spent (`useToken`, the one
    // step that commits). A crash before it leaves that token good for a retry (the provider's
    // rotated token already kept, the new tokens unknown to anyone until they expire); of racing
    // uses, the loser revokes the login, and with it the tokens made here.
    await store.updateLogin(login.id, {
      expiresAt,
      admin,
      ...(identity ? { idpRefreshToken: await this.sealIdpToken(login.id, identity.refreshToken) } : {}),
    });
    if (identity) await store.upsertUser(login.user, admin, stamp);
    const pair = await this.issueTokens({ ...login, admin, expiresAt });
    if (!(await store.useToken(hash, stamp))) return this.revokeForReuse(login);
    await store.deleteExpired(stamp);
    return pair;
  }

  /**
   * Ends the principal's login: its tokens stop working and its certificates' serials
   * are refused by the gateway. `everywhere` (and any static-token logout) covers all
   * of the user's logins and certificates.
   */
  async logout(principal: Principal, everywhere = false): Promise<void> {
    const stamp = this.now().toISOString();
    const which = principal.login && !everywhere ? { loginId: principal.login.id } : { user: principal.actor.name };
    await this.options.store.revokeLogins(which, stamp);
    this.events.emit('auth.logout', { user: principal.actor.name, login: principal.login?.id ?? null, everywhere });
  }

  /**
   * Signs `publicKey` for the principal's user with the gateway's CA. The certificate
   * lives no longer than the configured maximum nor than the login itself.
   */
  async issueCertificate(principal: Principal, publicKey: string): Promise<IssuedCertificateView> {
    const now = this.now();
    let ttl = this.options.auth.maxCertificateTtl;
    if (principal.login) ttl = Math.min(ttl, Math.floor((Date.parse(principal.login.expiresAt) - now.getTime()) / 1000));
    if (ttl <= 0) throw new MaiError('AUTH_FAILED', 'the login has expired; log in again');
    const issued = this.options.ca.issue({ user: principal.actor.name, publicKey, ttlSeconds: ttl });
    // Recorded before it is handed out, so a logout can always find it.
    await this.options.store.insertCertificate({
      serial: issued.serial,
      keyId: issued.keyId,
      user: principal.actor.name,
      loginId: principal.login?.id ?? null,
      validBefore: issued.validBefore.toISOString(),
      createdAt: now.toISOString(),
    });
    this.events.emit('auth.certificate_issued', { user: principal.actor.name, serial: issued.serial.toString(), keyId: issued.keyId });
    return {
      certificate: issued.certificate,
      serial: issued.serial.toString(),
      keyId: issued.keyId,
      principal: principal.actor.name,
      validBefore: issued.validBefore.toISOString(),
    };
  }

  private async issueTokens(login: LoginRecord): Promise<TokenPair> {
    const now = this.now();
    const accessToken = newOpaqueToken(TOKEN_PREFIXES.access);
    const refreshToken = newOpaqueToken(TOKEN_PREFIXES.refresh);
    const loginEnds = Date.parse(login.expiresAt);
    const accessEnds = Math.min(now.getTime() + this.options.auth.accessTokenTtl * 1000, loginEnds);
    await this.options.store.insertToken({
      hash: hashToken(accessToken),
      loginId: login.id,
      kind: 'access',
      expiresAt: new Date(accessEnds).toISOString(),
      usedAt: null,
    });
    await this.options.store.insertToken({
      hash: hashToken(refreshToken),
      loginId: login.id,
      kind: 'refresh',
      expiresAt: login.expiresAt,
      usedAt: null,
    });
    return {
      tokenType: 'Bearer',
      accessToken,
      expiresIn: Math.floor((accessEnds - now.getTime()) / 1000),
      refreshToken,
      refreshExpiresIn: Math.floor((loginEnds - now.getTime()) / 1000),
      user: login.user,
      admin: login.admin,
    };
  }

  private async revokeForReuse(login: LoginRecord): Promise<never> {
    await this.options.store.revokeLogins({ loginId: login.id }, this.now().toISOString());
    this.events.emit('auth.refresh_token_reused', { user: login.user, login: login.id });
    throw new MaiError('AUTH_FAILED', 'this refresh token was already used; the login has been revoked');
  }

  private localUser(hash: string): Actor | null {
    const candidate = Buffer.from(hash, 'hex');
    // Every entry is compared, so timing does not tell which (or whether one) matched.
    let match: Actor | null = null;
    for (const user of this.localUsers) if (timingSafeEqual(user.hash, candidate)) match = user.actor;
    return match;
  }

  private loginActive(login: LoginRecord, stamp: string): boolean {
    return login.revokedAt === null && login.expiresAt > stamp;
  }

  private after(from: Date, seconds: number): string {
    return new Date(from.getTime() + seconds * 1000).toISOString();
  }
}

/** Binds a sealed provider token to its login: a row copied to another login does not open. */
function idpContext(loginId: string): string {
  return `idp-refresh:${loginId}`;
}
