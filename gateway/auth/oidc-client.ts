import * as oidc from 'openid-client';
import { MaiError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { USER_NAME } from '../users/user-name.js';
import type { OidcSettings } from './oidc-settings.js';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** Who the identity provider says the user is, in mai's terms. */
export interface IdpIdentity {
  subject: string;
  name: string;
  admin: boolean;
  /** Null when the provider gave none (then refresh cannot re-check it). */
  refreshToken: string | null;
}

/** What the server keeps between `/auth/login` and `/auth/callback`; never sent to the client. */
export interface AuthorizationChecks {
  state: string;
  codeVerifier: string;
  nonce: string;
  redirectUri: string;
}

export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  expiresIn: number;
  interval: number;
}

/**
 * mai as an OIDC relying party (openid-client): authorization code with PKCE, state
 * and nonce; device authorization grant; refresh. Every foreign error is translated
 * here into AUTH_FAILED, AUTH_PENDING or IDP_UNAVAILABLE with the original as cause.
 *
 * Lifecycle: discovery happens on first use, not at construction, so the server
 * starts while the provider is down; a failed discovery is retried on the next call.
 */
export class OidcClient {
  private discovered: Promise<oidc.Configuration> | null = null;

  constructor(
    private readonly settings: OidcSettings,
    private readonly log: Logger = silentLogger,
  ) {
    if (settings.allowInsecureRequests) {
      log.warn('auth.insecure_requests', { issuer: settings.issuer.href, note: 'http issuer allowed: tests only' });
    }
  }

  /** The provider's issuer URL: with a subject, who an account is. */
  get issuer(): string {
    return this.settings.issuer.href;
  }

  /** The URL to send the browser to, and the checks to keep until the callback. */
  async startAuthorization(redirectUri: string): Promise<{ url: string; checks: AuthorizationChecks }> {
    const config = await this.config();
    const checks = {
      state: oidc.randomState(),
      codeVerifier: oidc.randomPKCECodeVerifier(),
      nonce: oidc.randomNonce(),
      redirectUri,
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: this.settings.scopes.join(' '),
      code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: 'S256',
      state: checks.state,
      nonce: checks.nonce,
    });
    return { url: url.href, checks };
  }

  /** Redeems the code the browser brought back; `params` is the callback's query (code, state, iss...). */
  async finishAuthorization(checks: AuthorizationChecks, params: Record<string, string>): Promise<IdpIdentity> {
    const config = await this.config();
    const callback = new URL(checks.redirectUri);
    for (const [key, value] of Object.entries(params)) callback.searchParams.set(key, value);
    const tokens = await this.call('authorization code', () =>
      oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      }),
    );
    return this.identity(config, tokens, null);
  }

  async startDevice(): Promise<DeviceAuthorization> {
    const config = await this.config();
    const response = await this.call('device authorization', () =>
      oidc.initiateDeviceAuthorization(config, { scope: this.settings.scopes.join(' ') }),
    );
    return {
      deviceCode: response.device_code,
      userCode: response.user_code,
      verificationUri: response.verification_uri,
      ...(response.verification_uri_complete ? { verificationUriComplete: response.verification_uri_complete } : {}),
      expiresIn: response.expires_in,
      interval: response.interval ?? 5,
    };
  }

  /** One poll of the token endpoint (never a loop: the HTTP request must not hang). AUTH_PENDING while waiting. */
  async pollDevice(deviceCode: string): Promise<IdpIdentity> {
    const config = await this.config();
    const tokens = await this.call('device code', () => oidc.genericGrantRequest(config, DEVICE_CODE_GRANT, { device_code: deviceCode }));
    return this.identity(config, tokens, null);
  }

  /** Re-checks the user with the provider; AUTH_FAILED when it no longer vouches for them. */
  async refresh(refreshToken: string, expectedSubject: string): Promise<IdpIdentity> {
    const config = await this.config();
    const tokens = await this.call('refresh', () => oidc.refreshTokenGrant(config, refreshToken));
    const identity = await this.identity(config, tokens, expectedSubject);
    // Providers that do not rotate refresh tokens keep the old one valid.
    return { ...identity, refreshToken: identity.refreshToken ?? refreshToken };
  }

  private config(): Promise<oidc.Configuration> {
    const { issuer, clientId, clientSecret, allowInsecureRequests } = this.settings;
    this.discovered ??= this.call('discovery', () =>
      oidc.discovery(issuer, clientId, undefined, oidc.ClientSecretBasic(clientSecret), {
        ...(allowInsecureRequests ? { execute: [oidc.allowInsecureRequests] } : {}),
        timeout: 10,
      }),
    ).catch((err: unknown) => {
      this.discovered = null;
      throw err;
    });
    return this.discovered;
  }

  /** Claims from the ID token, completed from userinfo when the name or groups are not in it. */
  private async identity(
    config: oidc.Configuration,
    tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers,
    expectedSubject: string | null,
  ): Promise<IdpIdentity> {
    let claims: Record<string, unknown> = { ...(tokens.claims() ?? {}) };
    const subject = typeof claims['sub'] === 'string' ? claims['sub'] : null;
    const { usernameClaim, groupsClaim } = this.settings;
    if (!(usernameClaim in claims) || !(groupsClaim in claims)) {
      const info = await this.call('userinfo', () => oidc.fetchUserInfo(config, tokens.access_token, subject ?? oidc.skipSubjectCheck));
      claims = { ...info, ...claims };
    }
    const sub = subject ?? (typeof claims['sub'] === 'string' ? claims['sub'] : '');
    if (!sub) throw new MaiError('AUTH_FAILED', 'the identity provider named no subject');
    if (expectedSubject !== null && sub !== expectedSubject) {
      throw new MaiError('AUTH_FAILED', 'the identity provider answered for another user');
    }
    const name = claims[usernameClaim];
    if (typeof name !== 'string' || !USER_NAME.test(name)) {
      this.log.warn('auth.bad_username', { claim: usernameClaim, subject: sub });
      throw new MaiError('AUTH_FORBIDDEN', `the "${usernameClaim}" claim is not a usable user name (lowercase letters, digits, . _ -)`);
    }
    const groups = claims[groupsClaim];
    const admin = Array.isArray(groups) && groups.includes(this.settings.adminGroup);
    return { subject: sub, name, admin, refreshToken: tokens.refresh_token ?? null };
  }

  /** Runs one openid-client call, translating its errors at this boundary. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const refusal = clientRefusal(err);
      if (refusal) {
        // Not the user's doing: the provider refuses the server's own credentials. The operator needs its words.
        this.log.error('auth.idp_misconfigured', { during: what, error: refusal, clientId: this.settings.clientId });
        throw new MaiError(
          'IDP_MISCONFIGURED',
          `${what}: the server's identity provider settings are wrong (the provider refused its client credentials); tell the server's operator`,
          { cause: err },
        );
      }
      throw translate(what, err);
    }
  }
}

/**
 * The provider's words when it refuses the client itself (RFC 6749 §5.2
 * `invalid_client`/`unauthorized_client`, as a JSON error or a 401 challenge), else null.
 */
function clientRefusal(err: unknown): string | null {
  const clientErrors = new Set(['invalid_client', 'unauthorized_client']);
  if (err instanceof oidc.ResponseBodyError && clientErrors.has(err.error)) {
    return err.error_description ? `${err.error}: ${err.error_description}` : err.error;
  }
  if (err instanceof oidc.WWWAuthenticateChallengeError) {
    const params = err.cause.map((challenge) => challenge.parameters);
    const named = params.find((p) => p.error && clientErrors.has(p.error));
    if (named) return named.error_description ? `${named.error}: ${named.error_description}` : named.error!;
    if (err.status === 401) return `invalid_client (HTTP 401 ${err.cause.map((c) => c.scheme).join(', ')} challenge)`;
  }
  return null;
}

function translate(what: string, err: unknown): MaiError {
  if (err instanceof MaiError) return err;
  if (err instanceof oidc.ResponseBodyError) {
    if (err.error === 'authorization_pending' || err.error === 'slow_down') {
      return new MaiError('AUTH_PENDING', err.error === 'slow_down' ? 'slow down: poll less often' : 'waiting for the user to approve the login', {
        cause: err,
      });
    }
    // invalid_grant, access_denied, expired_token...: the provider said no.
    return new MaiError('AUTH_FAILED', `${what}: the identity provider refused (${err.error})`, { cause: err });
  }
  if (err instanceof oidc.AuthorizationResponseError) {
    return new MaiError('AUTH_FAILED', `${what}: the identity provider refused (${err.error})`, { cause: err });
  }
  const code = (err as { code?: unknown } | null)?.code;
  // openid-client's own checks (state, nonce, PKCE, ID token) fail with OAUTH_* codes.
  if (typeof code === 'string' && code.startsWith('OAUTH_') && code !== 'OAUTH_RESPONSE_IS_NOT_CONFORM' && what !== 'discovery') {
    return new MaiError('AUTH_FAILED', `${what}: the identity provider's answer failed verification`, { cause: err });
  }
  return new MaiError('IDP_UNAVAILABLE', `${what}: the identity provider is unreachable or answered unexpectedly`, { cause: err });
}
