import type { ServiceConfig } from '../config/service-config.js';

/**
 * The users the service config makes admins, whatever the identity provider says:
 * `auth.admins` (the first admin of a new server, for OIDC or local users) and the
 * local users marked `admin: true`. REST and the SSH gateway both ask this one set.
 */
export function configuredAdmins(auth: ServiceConfig['auth']): ReadonlySet<string> {
  return new Set([...auth.admins, ...auth.users.filter((u) => u.admin).map((u) => u.name)]);
}
