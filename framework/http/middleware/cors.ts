import type { HttpMiddleware } from '../compose'

export interface CorsOptions {
  /** Exact origins (`https://app.example.com`); `*` allows any origin, without credentials. */
  origins: readonly string[]
  methods?: readonly string[]
  headers?: readonly string[]
  exposeHeaders?: readonly string[]
  /** Tracing is on: `traceparent` (the response's trace) is readable by scripts too. Off, the exposed list is unchanged. */
  exposeTraceparent?: boolean
  maxAgeSeconds?: number
}

/** Request headers a browser client may send: credentials (JWT or API key), tracing, SSE reconnects, and the MCP protocol version. */
const ALLOW_HEADERS = ['Authorization', 'Content-Type', 'Accept', 'X-API-Key', 'X-Request-Id', 'Last-Event-ID', 'Idempotency-Key', 'traceparent', 'Mcp-Protocol-Version'] as const
/** Response headers scripts may read beyond the safelisted ones: the request id, and what throttling and overload say. */
export const EXPOSE_HEADERS = ['X-Request-Id', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'Retry-After'] as const
/** Methods a browser client may use, unless the server lists others. */
export const DEFAULT_METHODS = ['GET', 'POST', 'OPTIONS'] as const

/**
 * CORS from an allowlist. A listed origin is echoed back with credentials
 * allowed; `*` (refused in production by config) answers `*` and never
 * allows credentials; an unlisted origin gets no CORS headers at all, so the
 * browser blocks it. Preflights are answered here with 204.
 *
 * @example
 * new HttpKernel({ logger, exceptionHandler, middleware: [requestId(), cors({ origins: ['https://app.example.com'] })] })
 */
export function cors(options: CorsOptions): HttpMiddleware {
  const allowed = new Set(options.origins)
  const wildcard = allowed.has('*')
  const methods = (options.methods ?? DEFAULT_METHODS).join(', ')
  const headers = (options.headers ?? ALLOW_HEADERS).join(', ')
  const expose = [...(options.exposeHeaders ?? EXPOSE_HEADERS), ...(options.exposeTraceparent ? ['traceparent'] : [])].join(', ')
  const maxAge = String(options.maxAgeSeconds ?? 600)

  return {
    name: 'cors',
    handle(ctx, next) {
      const origin = ctx.req.headers.origin
      const res = ctx.res
      if (allowed.size > 0) res.setHeader('Vary', 'Origin')
      const listed = origin !== undefined && allowed.has(origin)
      if (origin !== undefined && (listed || wildcard)) {
        if (listed) {
          res.setHeader('Access-Control-Allow-Origin', origin)
          res.setHeader('Access-Control-Allow-Credentials', 'true')
        } else {
          res.setHeader('Access-Control-Allow-Origin', '*')
        }
        res.setHeader('Access-Control-Expose-Headers', expose)
      }
      if (ctx.method === 'OPTIONS' && ctx.req.headers['access-control-request-method'] !== undefined) {
        if (origin !== undefined && (listed || wildcard)) {
          res.setHeader('Access-Control-Allow-Methods', methods)
          res.setHeader('Access-Control-Allow-Headers', headers)
          res.setHeader('Access-Control-Max-Age', maxAge)
        }
        ctx.routeTemplate = 'OPTIONS *'
        res.statusCode = 204
        res.setHeader('Content-Length', '0')
        res.end()
        return
      }
      return next()
    },
  }
}
