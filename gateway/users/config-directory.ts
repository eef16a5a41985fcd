import type { ServiceConfig } from '../config/service-config.js';
import type { UserDirectory } from '../ssh/identity.js';

/**
 * Users as the service config knows them (`auth.users`, `ssh.revokedSerials`):
 * the embedded default and the break-glass path.
 */
export class ConfigUserDirectory implements UserDirectory {
  private readonly admins: Set<string>;
  private readonly revoked: Set<bigint>;

  constructor(config: ServiceConfig) {
    this.admins = new Set(config.auth.users.filter((u) => u.admin).map((u) => u.name));
    this.revoked = new Set(config.ssh.revokedSerials);
  }

  async isAdmin(user: string): Promise<boolean> {
    return this.admins.has(user);
  }

  async isRevoked(serial: bigint): Promise<boolean> {
    return this.revoked.has(serial);
  }
}
