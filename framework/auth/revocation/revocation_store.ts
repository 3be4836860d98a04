/**
 * Where revoked token ids (`jti`) are kept. Each id is kept until the token's
 * own expiry and no longer: a token past its `exp` is refused anyway, so the
 * set never grows beyond the tokens still alive. Every worker and instance
 * sharing the store sees a revocation at once.
 */
export interface RevocationStore {
  /** Marks `jti` revoked until `expiresAt` (the token's `exp`). Revoking twice is harmless. */
  revoke(jti: string, expiresAt: Date): Promise<void>
  isRevoked(jti: string): Promise<boolean>
}
