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
