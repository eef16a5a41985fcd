import { setTimeout as sleep } from 'node:timers/promises';
import type { AuthContext } from 'ssh2';
import { verifyUserCertificate } from '../../keys/index.js';
import type { Events } from '../domain/events.js';
import { toMaiError, type ErrorCode, type MaiError } from '../errors.js';
import type { AuthThrottle } from './auth-throttle.js';
import type { UserDirectory } from '../users/user-directory.js';
import type { SshIdentity } from './identity.js';
import { parseLoginName } from './route.js';

const CERT_ALGO_SUFFIX = '-cert-v01@openssh.com';

export interface AuthenticatorOptions {
  trustedCaKeys: Buffer[];
  users: UserDirectory;
  throttle: AuthThrottle;
  maxTries: number;
  events: Events;
  now?: () => Date;
}

/**
 * Public-key authentication with certificates of our CA, and nothing else.
 * ssh2 checks none of the certificate; `verifyUserCertificate` checks all of it.
 * Every refusal is audited once with its reason code; the client learns only that
 * it was refused. One instance per connection (it counts attempts).
 */
export class ConnectionAuthenticator {
  private tries = 0;
  /**
   * Set when the certificate checked out but the store could not be asked about it
   * (revocations, admin): the connection is let in only to be told so, one line per
   * channel, and reaches nothing (see `refuseChannels`).
   */
  storeUnavailable: MaiError | null = null;
  identity: SshIdentity | null = null;

  constructor(
    private readonly options: AuthenticatorOptions,
    private readonly address: string,
    /** The connection's id, carried by the actor into the facts it causes. */
    private readonly connectionId: string,
  ) {}

  /** Handles one ssh2 'authentication' event; returns false when the connection should be dropped. */
  async handle(ctx: AuthContext): Promise<boolean> {
    // Every attempt counts, `none` too: a client cannot probe for ever.
    if (++this.tries > this.options.maxTries) {
      this.options.events.emit('auth.refused', { user: ctx.username, reason: 'AUTH_TOO_MANY_TRIES' satisfies ErrorCode });
      ctx.reject([]);
      return false;
    }
    if (ctx.method === 'none') {
      ctx.reject(['publickey']);
      return true;
    }
    const refusal = await this.check(ctx);
    if (refusal) {
      const delayMs = this.options.throttle.fail(this.address);
      this.options.events.emit('auth.refused', { user: ctx.username, method: ctx.method, ...refusal, delayMs });
      await sleep(delayMs);
      ctx.reject(['publickey']);
      return true;
    }
    ctx.accept();
    return true;
  }

  private async check(ctx: AuthContext): Promise<{ reason: ErrorCode; detail?: string } | null> {
    if (ctx.method !== 'publickey') return { reason: 'AUTH_METHOD' };
    if (!ctx.key.algo.endsWith(CERT_ALGO_SUFFIX)) return { reason: 'AUTH_NOT_A_CERTIFICATE', detail: ctx.key.algo };
    const { user, session } = parseLoginName(ctx.username);
    const signed = ctx.signature !== undefined;
    const now = this.options.now?.() ?? new Date();
    // Revocation is part of the one check, in its documented order (before the validity window and the client's signature).
    const verdict = verifyUserCertificate({
      certBlob: ctx.key.data,
      algorithm: ctx.key.algo,
      trustedCaKeys: this.options.trustedCaKeys,
      login: user,
      now,
      sourceAddress: this.address,
      revokedSerials: await this.revokedSerials(now),
      signedData: signed ? ctx.blob : undefined,
      clientSignature: signed ? ctx.signature : undefined,
    });
    if (!verdict.ok) return { reason: verdict.reason, detail: verdict.detail };
    // The unsigned query only asks "would this key do?"; the identity comes with the signed attempt.
    if (!signed) return null;
    this.identity = {
      actor: { name: user, admin: !this.storeUnavailable && (await this.options.users.isAdmin(user)), via: `ssh:${this.connectionId}` },
      loginSession: session,
      keyId: verdict.keyId,
      serial: verdict.serial,
      forceCommand: verdict.forceCommand,
      permissions: verdict.permissions,
    };
    // Not a success that clears the address's failures: this connection will reach nothing.
    if (!this.storeUnavailable) this.options.throttle.succeed(this.address);
    this.options.events.emit('auth.ok', { user, keyId: verdict.keyId, serial: String(verdict.serial), session, ...(this.storeUnavailable ? { unchecked: 'STORE_UNAVAILABLE' } : {}) });
    return null;
  }

  /** The revoked serials; none when the store does not answer, which `storeUnavailable` then records. */
  private async revokedSerials(now: Date): Promise<ReadonlySet<bigint>> {
    try {
      const revoked = await this.options.users.revokedSerials(now);
      this.storeUnavailable = null;
      return revoked;
    } catch (err) {
      const error = toMaiError(err);
      if (error.code !== 'STORE_UNAVAILABLE') throw err;
      this.storeUnavailable = error;
      return new Set();
    }
  }
}
