/**
 * Answers the questions about users that the gateway needs, from the config and the
 * store; asked at every authentication, so a change (a logout, an admin flag) takes
 * effect on the next connection, on every replica.
 */
export interface UserDirectory {
  isAdmin(user: string): Promise<boolean>;
  /** Every serial refused although otherwise valid, at `now`: it goes into the one certificate check. */
  revokedSerials(now: Date): Promise<ReadonlySet<bigint>>;
}
