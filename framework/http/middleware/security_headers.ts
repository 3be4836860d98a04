import type { IncomingMessage, ServerResponse } from 'node:http'
import helmet from 'helmet'
import type { HttpMiddleware } from '../compose'

type Helmet = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void

/**
 * helmet's security headers on every response, with a Content-Security-Policy
 * for an API that serves no pages (nothing may load, nothing may frame it).
 * helmet is configured once and runs per request.
 *
 * @example
 * new HttpKernel({ logger, exceptionHandler, middleware: [requestId(), securityHeaders()] })
 */
export function securityHeaders(): HttpMiddleware {
  const apply = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    // The same answer as frame-ancestors 'none' for browsers that only know X-Frame-Options.
    frameguard: { action: 'deny' },
  }) as unknown as Helmet
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
