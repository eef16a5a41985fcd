import type { ServiceConfig } from '../config/service-config.js';
import { configuredAdmins } from './configured-admins.js';
import type { UserDirectory } from './user-directory.js';
import type { AuthStore } from '../store/auth-store.js';

/**
 * Users as the store knows them, on top of the config: a user is an admin when the
 * config says so (`auth.admins`, `auth.users[].admin`) or the identity provider last put them in the
 * admin group; a serial is revoked when the config lists it (break-glass) or a logout
 * revoked the certificate. Asked by the SSH gateway at every authentication, so a
 * logout takes effect on the next connection, on every replica.
 */
export class StoreUserDirectory implements UserDirectory {
  private readonly admins: ReadonlySet<string>;
  private readonly revoked: Set<bigint>;

  constructor(
    config: ServiceConfig,
    private readonly store: AuthStore,
  ) {
    this.admins = configuredAdmins(config.auth);
    this.revoked = new Set(config.ssh.revokedSerials);
  }

  async isAdmin(user: string): Promise<boolean> {
    if (this.admins.has(user)) return true;
    return (await this.store.userAdmin(user)) === true;
  }

  async revokedSerials(now: Date): Promise<ReadonlySet<bigint>> {
    const fromLogouts = await this.store.revokedSerials(now.toISOString());
    return new Set([...this.revoked, ...fromLogouts]);
  }
}
