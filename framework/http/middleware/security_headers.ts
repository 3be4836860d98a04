import type { IncomingMessage, ServerResponse } from 'node:http'
import helmet from 'helmet'
import type { HttpMiddleware } from '../compose'

/**
 * helmet's security headers, with a Content-Security-Policy for an API that
 * serves no pages (nothing may load, nothing may frame it). helmet is built
 * once; per request it only sets headers.
 *
 * @example
 * kernel.use(securityHeaders())
 */
export function securityHeaders(): HttpMiddleware {
  const apply = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    // The same answer as frame-ancestors 'none' for browsers that only know X-Frame-Options.
    frameguard: { action: 'deny' },
  }) as unknown as (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void
  return {
    name: 'security_headers',
    handle(ctx, next) {
      let failure: unknown
      // helmet calls back synchronously; no promise is needed to wait for it.
      apply(ctx.req, ctx.res, (error) => {
        failure = error
      })
      if (failure) throw failure
      return next()
    },
  }
}
