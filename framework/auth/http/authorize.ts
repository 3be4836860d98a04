import { E_FORBIDDEN, E_INVALID_CONFIG } from '../../errors'
import type { HttpMiddleware } from '../../http/compose'
import type { MiddlewareFactory } from '../../http/compose'
import { AuthenticationError } from '../authentication_error'
import { hasAllPermissions } from '../permissions'

/**
 * The `can:<permission>` HTTP middleware: the authenticated principal must
 * hold every listed permission (wildcards as in permissions.ts), otherwise
 * 403 E_FORBIDDEN. Without a principal (the route lacks `auth` before it) it
 * answers 401, never lets the request through.
 *
 * @example
 * router.agent('/reports', ReportAgent).middleware('auth', 'can:reports.read')
 */
export function authorize(permissions: readonly string[]): HttpMiddleware {
  return {
    name: 'can',
    handle(ctx, next) {
      if (!ctx.principal) throw new AuthenticationError('missing')
      if (!hasAllPermissions(ctx.principal.permissions, permissions)) throw new E_FORBIDDEN()
      return next()
    },
  }
}

/**
 * The factory to register as `can`, a `request`-stage middleware: `can:agents.run` or `can:a,b` (all required).
 *
 * @example
 * registry.register('can', { stage: 'request', create: canMiddleware() })
 */
export function canMiddleware(): MiddlewareFactory {
  return (args) => {
    if (args.length === 0) throw new E_INVALID_CONFIG(['`can` middleware needs at least one permission, e.g. can:agents.run'])
    return authorize(args)
  }
}
