import { randomBytes } from 'node:crypto'
import { authMiddleware } from '../../../../framework/auth/http/authenticate'
import { authProvider } from '../../../../framework/auth/auth_provider'
import { canMiddleware } from '../../../../framework/auth/http/authorize'
import { databaseProvider } from '../../../../framework/database/database_provider'
import { Application } from '../../../../framework/foundation/application'
import { MiddlewareRegistry } from '../../../../framework/http/middleware_registry'
import { createServer, type HttpServer } from '../../../../framework/http/server'
import { createLogger } from '../../../../framework/logger'
import { rateLimiterHealthCheck } from '../../../../framework/rate_limiter/health_check'
import { throttleMiddleware } from '../../../../framework/rate_limiter/http/throttle'
import { rateLimiterProvider } from '../../../../framework/rate_limiter/rate_limiter_provider'
import { redisProvider } from '../../../../framework/redis/redis_provider'
import { WhoAmIRunner } from './whoami_runner'

export const TEST_SECRET = randomBytes(48).toString('base64url')

export interface AuthServer {
  app: Application
  server: HttpServer
  runner: WhoAmIRunner
  close(): Promise<void>
}

/**
 * A booted application with the auth and rate limiter providers and an HTTP
 * server whose registry has `auth`, `can` and `throttle` registered the way
 * the framework's server is expected to register them.
 */
export async function makeAuthServer(routes: Record<string, string[]>, env: Record<string, string> = {}): Promise<AuthServer> {
  const app = Application.create({
    env: { APP_ENV: 'test', LOG_LEVEL: 'error', JWT_SECRET_KEY: TEST_SECRET, ...env },
    loadDotenv: false,
    providers: [databaseProvider, redisProvider, authProvider, rateLimiterProvider],
    logger: createLogger({ silent: true }),
  })
  await app.boot()
  const registry = new MiddlewareRegistry()
    .register('auth', authMiddleware(() => app.make('auth')))
    .register('can', canMiddleware())
    .register('throttle', throttleMiddleware(() => app.make('rateLimiter')))
  const runner = new WhoAmIRunner(routes)
  const server = createServer({
    app,
    runner,
    middleware: registry,
    health: { database: 'off', checks: [rateLimiterHealthCheck(app.make('rateLimiter'))] },
  })
  server.markReady()
  return {
    app,
    server,
    runner,
    async close() {
      await server.shutdown(1)
      await app.shutdown()
    },
  }
}
