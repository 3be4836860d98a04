import type { CommandHandler } from '../command'

/**
 * `langvel auth:revoke <token-or-jti> [--json]`: records the revocation in the auth
 * store (database or Redis), where every worker and instance sees it.
 */
const authRevoke: CommandHandler<{ json?: boolean }> = async ({ app, args, options, output }) => {
  const revoked = await app.make('auth').tokens.revoke(args[0])
  if (options.json) {
    output.json({
      jti: revoked.jti,
      // An expired token is refused anyway, so nothing was recorded for it.
      revoked: !revoked.alreadyExpired,
      expires_at: revoked.expiresAt.toISOString(),
      recorded_until: revoked.alreadyExpired ? null : revoked.recordedUntil.toISOString(),
    })
  }
  if (revoked.alreadyExpired) {
    output.info(`Token ${revoked.jti} can no longer be accepted (expired at ${revoked.expiresAt.toISOString()}): nothing to revoke`)
    return 0
  }
  output.success(`Revoked token ${revoked.jti} (recorded until ${revoked.recordedUntil.toISOString()})`)
  return 0
}

export default authRevoke
