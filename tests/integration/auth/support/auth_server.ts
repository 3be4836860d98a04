import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { up } from '../../../../database/migrations/20260102000000_create_auth_tables'
import { authProvider } from '../../../../framework/auth/auth_provider'
import { databaseProvider } from '../../../../framework/database/database_provider'
import { Application } from '../../../../framework/foundation/application'
import { middlewareProvider } from '../../../../framework/http/middleware_provider'
import { createServer, type HttpServer } from '../../../../framework/http/server'
import { createLogger } from '../../../../framework/logger'
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
 * A booted application with the auth and rate limiter providers, the
 * middleware registry (`auth`, `can`, `throttle`) and the framework's HTTP server.
 */
export async function makeAuthServer(routes: Record<string, string[]>, env: Record<string, string> = {}): Promise<AuthServer> {
  // A project root of its own: the default SQLite database (thread owners, API keys) lives under it.
  const basePath = mkdtempSync(join(tmpdir(), 'langvel-auth-'))
  const app = Application.create({
    basePath,
    env: { APP_ENV: 'test', LOG_LEVEL: 'error', JWT_SECRET_KEY: TEST_SECRET, ...env },
    loadDotenv: false,
    providers: [databaseProvider, redisProvider, authProvider, rateLimiterProvider, middlewareProvider],
    logger: createLogger({ silent: true }),
  })
  await app.boot()
  if (!env.DATABASE_URL && env.AUTH_STORE !== 'redis') await up(app.make('db').connection())
  const runner = new WhoAmIRunner(routes)
  let server: HttpServer
  try {
    server = createServer({ app, runner, health: { database: 'off' } })
  } catch (error) {
    // A refused configuration (unknown limiter, bad throttle arguments) must not leave the pool open.
    await app.shutdown()
    rmSync(basePath, { recursive: true, force: true })
    throw error
  }
  server.markReady()
  return {
    app,
    server,
    runner,
    async close() {
      await server.shutdown(1)
      await app.shutdown()
      rmSync(basePath, { recursive: true, force: true })
    },
  }
}
