import type { Provider } from '../contracts/provider'
import type { Application } from '../foundation/application'
import { ApiKeyService } from './api_keys/api_key_service'
import type { ApiKeyStore } from './api_keys/api_key_store'
import { DatabaseApiKeyStore } from './api_keys/database_api_key_store'
import { RedisApiKeyStore } from './api_keys/redis_api_key_store'
import { Auth } from './auth_manager'
import { ensureDevelopmentKey } from './development_key'
import { loadJwtKeys } from './jwt/jwt_keys'
import { TokenService } from './jwt/token_service'
import { DatabaseRevocationStore } from './revocation/database_revocation_store'
import { RedisRevocationStore } from './revocation/redis_revocation_store'
import type { RevocationStore } from './revocation/revocation_store'
import { DatabaseThreadOwnerStore } from './threads/database_thread_owner_store'
import { RedisThreadOwnerStore } from './threads/redis_thread_owner_store'
import type { ThreadOwnerStore } from './threads/thread_owner_store'
import { ThreadOwnership } from './threads/thread_ownership'

declare module '../foundation/application' {
  interface ContainerBindings {
    auth: Auth
  }
}

interface AuthStores {
  revocations: RevocationStore
  apiKeys: ApiKeyStore
  threads: ThreadOwnerStore
}

/** AUTH_STORE=database uses the tables of the auth migration; redis, keys under REDIS_PREFIX. */
function storesFor(app: Application): AuthStores {
  if (app.config.get('auth').store === 'redis') {
    const redis = () => app.make('redis').connection()
    const prefix = app.config.get('redis').prefix
    return {
      revocations: new RedisRevocationStore(redis, { prefix }),
      apiKeys: new RedisApiKeyStore(redis, { prefix }),
      threads: new RedisThreadOwnerStore(redis, { prefix }),
    }
  }
  const knex = () => app.make('db').connection()
  return {
    revocations: new DatabaseRevocationStore(knex),
    apiKeys: new DatabaseApiKeyStore(knex),
    threads: new DatabaseThreadOwnerStore(knex),
  }
}

/**
 * Creates the application's auth service from config/auth.ts. Nothing
 * connects until a store is used, and the JWT keys are loaded when tokens are
 * first issued or verified: with APP_ENV=development and no JWT_SECRET_KEY,
 * that is when a key is written into .env (see ensureDevelopmentKey).
 *
 * @example
 * const auth = createAuth(app)
 */
export function createAuth(app: Application): Auth {
  const config = app.config.get('auth')
  const logger = app.logger.child({ logger: 'auth' })
  const stores = storesFor(app)
  return new Auth({
    tokens: () => {
      const secret =
        config.jwtSecret ?? (config.algorithm === 'HS256' && app.environment === 'development' ? ensureDevelopmentKey(app.path(), logger) : undefined)
      return new TokenService({
        keys: loadJwtKeys({
          algorithm: config.algorithm,
          secret,
          privateKeyPath: config.privateKeyPath,
          publicKeyPath: config.publicKeyPath,
          basePath: app.path(),
        }),
        issuer: config.issuer,
        audience: config.audience,
        clockToleranceSeconds: config.clockToleranceSeconds,
        defaultTtlSeconds: config.jwtExpirySeconds,
        maxTtlSeconds: config.jwtMaxTtlSeconds,
        revocations: stores.revocations,
        cacheSize: config.tokenCacheSize,
        statusCacheMs: config.statusCacheMs,
      })
    },
    apiKeys: new ApiKeyService(stores.apiKeys, { statusCacheMs: config.statusCacheMs, logger }),
    threads: new ThreadOwnership(stores.threads),
  })
}

/**
 * Binds `auth` (the Auth service). Register it after the database and Redis
 * providers: providers shut down in reverse order, and pending API key usage
 * is written on shutdown, before those connections close.
 *
 * @example
 * const principal = await app.make('auth').authenticate({ authorization })
 */
export const authProvider: Provider = {
  name: 'auth',
  register(app: Application) {
    app.singleton('auth', () => createAuth(app))
  },
  async shutdown(app: Application) {
    if (app.resolved('auth')) await app.make('auth').close()
  },
}
