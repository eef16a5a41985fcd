import type { CertPermissions } from '../../keys/index.js';
import type { Actor } from '../domain/types.js';

/** Who a connection authenticated as, from their certificate. Immutable for the connection's life. */
export interface SshIdentity {
  actor: Actor;
  /** The `+SESSION` part of the login name, if any. */
  loginSession?: string;
  keyId: string;
  serial: bigint;
  /** A certificate's force-command replaces whatever the client asks to run. */
  forceCommand?: string;
  permissions: CertPermissions;
}

/** Answers the questions about users that the gateway needs; implemented from config or the store. */
export interface UserDirectory {
  isAdmin(user: string): Promise<boolean>;
  isRevoked(serial: bigint): Promise<boolean>;
}
