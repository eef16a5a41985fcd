/** Answers the questions about users that the gateway needs; implemented from config or the store. */
export interface UserDirectory {
  isAdmin(user: string): Promise<boolean>;
  isRevoked(serial: bigint): Promise<boolean>;
}
