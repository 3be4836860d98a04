import { parseDuration } from '../../config/env'
import { E_INVALID_INPUT } from '../../errors'
import type { CommandHandler } from '../command'

interface AuthTokenOptions {
  permissions?: string
  ttl?: string
  json?: boolean
}

/** `--permissions a,b` -> ['a', 'b']; shared by the auth and apikey commands. */
export function parsePermissions(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((permission) => permission.trim())
    .filter(Boolean)
}

/** `--ttl 1h` -> 3600; E_INVALID_INPUT names the flag when malformed. */
export function parseDurationFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const seconds = parseDuration(value)
  if (seconds === undefined) throw new E_INVALID_INPUT(`${flag} ${JSON.stringify(value)}: expected a duration such as 30s, 15m, 1h, 7d`)
  return seconds
}

/**
 * `langvel auth:token <subject> [--permissions a,b] [--ttl 1h] [--json]`:
 * prints a signed JWT (only the token, so `TOKEN=$(langvel auth:token ada)` works).
 */
const authToken: CommandHandler<AuthTokenOptions> = ({ app, args, options, output }) => {
  const issued = app.make('auth').tokens.issue(args[0], {
    permissions: parsePermissions(options.permissions),
    ttlSeconds: parseDurationFlag('--ttl', options.ttl),
  })
  if (options.json) {
    output.json({ token: issued.token, jti: issued.jti, subject: issued.subject, permissions: issued.permissions, expires_at: issued.expiresAt.toISOString() })
  } else {
    output.line(issued.token)
  }
  return 0
}

export default authToken
