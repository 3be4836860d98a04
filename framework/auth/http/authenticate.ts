import { E_UNKNOWN_DRIVER } from '../../errors'
import type { HttpMiddleware } from '../../http/compose'
import type { MiddlewareFactory } from '../../http/compose'
import { GUARDS, type Auth, type Guard } from '../auth_manager'
import { AuthenticationError } from '../authentication_error'

/**
 * The `auth` HTTP middleware: authenticates the request from its
 * `Authorization: Bearer` or `X-API-Key` header and sets `ctx.principal`,
 * which is the only way identity reaches agents (through the read-only
 * request context). It runs before the body is read, and nothing in a body or
 * agent input can set or change the principal. Any failure answers 401 with
 * `WWW-Authenticate: Bearer` and the same message; the reason goes to the
 * debug log only.
 *
 * @example
 * kernel.route('GET', '/me', (ctx) => ctx.json(200, ctx.principal), [authenticate(app.make('auth'))])
 */
export function authenticate(auth: Auth, guards: readonly Guard[] = GUARDS): HttpMiddleware {
  return {
    name: 'auth',
    async handle(ctx, next) {
      try {
        ctx.principal = await auth.authenticate({ authorization: ctx.header('authorization'), apiKey: ctx.header('x-api-key') }, guards)
      } catch (error) {
        if (error instanceof AuthenticationError && ctx.logger.isLevelEnabled('debug')) {
          ctx.logger.debug('authentication failed', { reason: error.reason, route: ctx.routeTemplate, ip: ctx.ip })
        }
        throw error
      }
      return next()
    },
  }
}

/**
 * The factory to register as `auth`, a `request`-stage middleware: `auth`
 * accepts JWTs and API keys, `auth:jwt` or `auth:api_key` only one kind. The
 * service is resolved when a route is built, so a missing JWT key stops the
 * server at startup, not at the first request.
 *
 * @example
 * registry.register('auth', { stage: 'request', create: authMiddleware(() => app.make('auth')) })
 */
export function authMiddleware(auth: Auth | (() => Auth)): MiddlewareFactory {
  return (args) => {
    const guards = args.length === 0 ? GUARDS : args.map((name) => {
      if (!GUARDS.includes(name as Guard)) throw new E_UNKNOWN_DRIVER('auth guard', name, [...GUARDS])
      return name as Guard
    })
    const service = typeof auth === 'function' ? auth() : auth
    // Loads the JWT keys now when JWTs are accepted: a missing key fails the boot.
    if (guards.includes('jwt')) void service.tokens
    return authenticate(service, guards)
  }
}
