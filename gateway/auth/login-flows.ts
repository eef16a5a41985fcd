import type { ServiceConfig } from '../config/service-config.js';
import { MaiError } from '../errors.js';
import type { AuthStore } from '../store/auth-store.js';
import type { AuthService, TokenPair } from './auth-service.js';
import type { AuthorizationChecks, DeviceAuthorization, IdpIdentity } from './oidc-client.js';
import { hashToken, newOpaqueToken } from './opaque-token.js';
import { randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a browser login may take between `/auth/login` and `/auth/callback`. */
const AUTHORIZATION_TTL_SECONDS = 10 * 60;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

export interface LoginStart {
  authorizationUrl: string;
  state: string;
  /**
   * The flow's secret for whoever started it: required to finish it, and never in a
   * URL (the state and the code are, in the redirect, for anyone who sees it).
   */
  binding: string;
  expiresIn: number;
}

/** What is kept between start and finish: the provider checks, and the hash of the binding. */
interface PendingCode {
  checks: AuthorizationChecks;
  bindingHash: string;
}

/**
 * The provider's device authorization as the client gets it: `deviceCode` is the
 * server's own handle for the flow (the client polls with it); the provider's
 * code never leaves the server.
 */
export type DeviceStart = DeviceAuthorization;

interface PendingDevice {
  idpDeviceCode: string;
}

/**
 * The two ways a user logs in through the identity provider: authorization code with
 * PKCE (a browser) and the device authorization grant (no browser). The state of a
 * flow in progress is kept in the store, keyed by a hash, so any replica can finish it.
 */
export class LoginFlows {
  constructor(
    private readonly auth: ServiceConfig['auth'],
    private readonly store: AuthStore,
    private readonly service: AuthService,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Starts a browser login that returns to `redirectUri`. A client's URI must be
   * loopback or configured; `serverOwned` is for the server's own callback (the web
   * UI's), which it computed itself and the provider checks against its registration.
   */
  async startLogin(redirectUri: string, serverOwned = false): Promise<LoginStart> {
    if (!serverOwned) this.checkRedirectUri(redirectUri);
    const { url, checks } = await this.service.oidc.startAuthorization(redirectUri);
    const binding = randomBytes(32).toString('base64url');
    const pending: PendingCode = { checks, bindingHash: hashToken(binding) };
    await this.store.putPending(hashToken(checks.state), 'code', pending, this.until(AUTHORIZATION_TTL_SECONDS));
    return { authorizationUrl: url, state: checks.state, binding, expiresIn: AUTHORIZATION_TTL_SECONDS };
  }

  /** Finishes a browser login for the client holding its `binding`; the state is redeemable once, whatever the outcome. */
  async finishLogin(params: Record<string, string>, binding: string): Promise<TokenPair> {
    return this.service.createLogin(await this.redeemCode(params, binding));
  }

  /**
   * The identity behind a callback's code (the state redeemed once); the caller makes
   * the login. Only the client that started the flow (it holds `binding`) can finish
   * it: a state and code read off a redirect URL are worth nothing alone.
   */
  async redeemCode(params: Record<string, string>, binding: string): Promise<IdpIdentity> {
    const id = hashToken(params['state'] ?? '');
    const stamp = this.now().toISOString();
    const unknown = () => new MaiError('AUTH_FAILED', 'unknown or expired login state; start again with /auth/login');
    // Looked at first, taken only by its own client: a stranger's attempt leaves the real flow intact.
    const seen = (await this.store.getPending(id, 'code', stamp)) as PendingCode | null;
    if (!seen) throw unknown();
    if (!sameHash(seen.bindingHash, hashToken(binding))) {
      throw new MaiError('AUTH_FAILED', 'this login was started by another client; finish it there, or start again with /auth/login');
    }
    const pending = (await this.store.takePending(id, 'code', stamp)) as PendingCode | null;
    if (!pending) throw unknown();
    return this.service.oidc.finishAuthorization(pending.checks, params);
  }

  async startDevice(): Promise<DeviceStart> {
    const device = await this.service.oidc.startDevice();
    const handle = newOpaqueToken('mai_dc');
    const pending: PendingDevice = { idpDeviceCode: device.deviceCode };
    await this.store.putPending(hashToken(handle), 'device', pending, this.until(device.expiresIn));
    return { ...device, deviceCode: handle };
  }

  /** One poll; AUTH_PENDING until the user approves, then the tokens (once). */
  async pollDevice(handle: string): Promise<TokenPair> {
    const id = hashToken(handle);
    const pending = (await this.store.getPending(id, 'device', this.now().toISOString())) as PendingDevice | null;
    if (!pending) throw new MaiError('AUTH_FAILED', 'unknown or expired device code; start again');
    let identity;
    try {
      identity = await this.service.oidc.pollDevice(pending.idpDeviceCode);
    } catch (err) {
      if (!(err instanceof MaiError) || err.code !== 'AUTH_PENDING') await this.store.deletePending(id);
      throw err;
    }
    await this.store.deletePending(id);
    return this.service.createLogin(identity);
  }

  /**
   * Loopback redirects (RFC 8252 §7.3: a CLI's own listener, any port) and the
   * configured ones; anything else could send the code to a stranger.
   */
  private checkRedirectUri(redirectUri: string): void {
    let url: URL;
    try {
      url = new URL(redirectUri);
    } catch {
      throw new MaiError('INPUT_INVALID', 'redirectUri: not a URL');
    }
    const loopback = url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
    if (!loopback && !this.auth.redirectUris.includes(redirectUri)) {
      throw new MaiError('INPUT_INVALID', 'redirectUri: must be a loopback http URI or one listed in auth.redirectUris');
    }
  }

  private until(seconds: number): string {
    return new Date(this.now().getTime() + seconds * 1000).toISOString();
  }
}

/** Two hex sha256 digests compared in constant time. */
function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
