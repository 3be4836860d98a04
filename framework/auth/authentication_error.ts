import { E_UNAUTHORIZED } from '../errors'

/** Why a credential was refused: for logs and tests only, never for the client. */
export type AuthFailureReason =
  | 'missing'
  | 'malformed'
  | 'invalid_signature'
  | 'wrong_algorithm'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'invalid_claims'
  | 'revoked'
  | 'unknown_key'
  | 'key_revoked'
  | 'key_expired'
  | 'guard_not_allowed'

/** The challenge every 401 carries (RFC 6750), identical whatever failed. */
export const WWW_AUTHENTICATE = 'Bearer'

/**
 * A refused credential: always E_UNAUTHORIZED (401) with the same message and
 * `WWW-Authenticate: Bearer`, whatever the reason, so a client cannot learn
 * which check failed (expired versus revoked versus bad signature). The reason
 * stays on the error for the server's debug log and for tests; the exception
 * handler renders only code, message and `headers`.
 *
 * @example
 * throw new AuthenticationError('expired')
 */
export class AuthenticationError extends E_UNAUTHORIZED {
  readonly headers = { 'WWW-Authenticate': WWW_AUTHENTICATE }

  constructor(
    readonly reason: AuthFailureReason,
    cause?: unknown,
  ) {
    super({ cause })
  }
}
