import type { Principal } from '../contracts/request_context'
import type { ApiKeyService } from './api_keys/api_key_service'
import { API_KEY_PREFIX } from './api_keys/api_key_secret'
import { AuthenticationError } from './authentication_error'
import type { TokenService } from './jwt/token_service'
import type { ThreadOwnership } from './threads/thread_ownership'

/** Which credential kinds a route accepts: `auth` takes both, `auth:jwt` or `auth:api_key` one. */
export type Guard = 'jwt' | 'api_key'

export const GUARDS: readonly Guard[] = ['jwt', 'api_key']

/** The credential headers of one request, as received. */
export interface Credentials {
  /** The `Authorization` header. */
  authorization?: string
  /** The `X-API-Key` header. */
  apiKey?: string
}

export interface AuthOptions {
  /** Created on first use: a command that only manages API keys needs no JWT key. */
  tokens: () => TokenService
  apiKeys: ApiKeyService
  threads: ThreadOwnership
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i

/**
 * The `auth` service: turns request credentials into a Principal. A Bearer
 * token is a JWT, or an API key when it starts with `lv_` (for clients that
 * can only send Bearer); `X-API-Key` carries an API key. Every failure is an
 * AuthenticationError (401, same message whatever failed).
 *
 * @example
 * const auth = app.make('auth')
 * const principal = await auth.authenticate({ authorization: 'Bearer eyJ...' })
 * const { token } = auth.tokens.issue('alice', { permissions: ['agents.*'] })
 */
export class Auth {
  private tokenService?: TokenService

  constructor(private readonly options: AuthOptions) {}

  get tokens(): TokenService {
    this.tokenService ??= this.options.tokens()
    return this.tokenService
  }

  get apiKeys(): ApiKeyService {
    return this.options.apiKeys
  }

  get threads(): ThreadOwnership {
    return this.options.threads
  }

  /** Verifies whichever credential is present (Authorization first); AuthenticationError('missing') when none is. */
  async authenticate(credentials: Credentials, guards: readonly Guard[] = GUARDS): Promise<Principal> {
    const { authorization, apiKey } = credentials
    if (authorization !== undefined) {
      const match = BEARER.exec(authorization)
      if (!match) throw new AuthenticationError('malformed')
      const credential = match[1]
      if (credential.startsWith(API_KEY_PREFIX)) return this.viaApiKey(credential, guards)
      if (!guards.includes('jwt')) throw new AuthenticationError('guard_not_allowed')
      return this.tokens.verify(credential)
    }
    if (apiKey !== undefined) return this.viaApiKey(apiKey.trim(), guards)
    throw new AuthenticationError('missing')
  }

  /** Writes pending API key usage (called on shutdown). */
  async close(): Promise<void> {
    await this.options.apiKeys.close()
  }

  private viaApiKey(key: string, guards: readonly Guard[]): Promise<Principal> {
    if (!guards.includes('api_key')) throw new AuthenticationError('guard_not_allowed')
    return this.options.apiKeys.verify(key)
  }
}
