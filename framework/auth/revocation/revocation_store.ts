/**
 * Where revoked token ids (`jti`) are kept. Each id is kept until the last
 * moment a verifier could still accept its token (the token's `exp` plus the
 * clock tolerance, which the token service passes in) and no longer: past
 * that the token is refused anyway, so the set never grows beyond the tokens
 * still alive. Every worker and instance sharing the store sees a revocation
 * at once.
 */
export interface RevocationStore {
  /** Marks `jti` revoked until `until` (exclusive). Revoking twice is harmless. */
  revoke(jti: string, until: Date): Promise<void>
  isRevoked(jti: string): Promise<boolean>
}
