import type { Logger } from '../../logger'
import type { Metrics } from '../../observability/metrics'
import type { HttpMiddleware } from '../compose'

export interface ObserveRequestOptions {
  logger: Logger
  metrics: Metrics
}

/**
 * One access-log line and the HTTP metrics per request, written when the
 * response closes (finished or aborted). `ip` is the client's address as
 * TRUSTED_PROXIES decides it (a forwarded one only from a trusted proxy).
 * Fields are flat primitives: nothing
 * per request is serialised beyond the line itself, and the route label is
 * the matched template, never the raw path.
 *
 * @example
 * new HttpKernel({ logger, exceptionHandler, middleware: [requestId(), observeRequest({ logger, metrics })] })
 */
export function observeRequest(options: ObserveRequestOptions): HttpMiddleware {
  const { logger, metrics } = options
  const logs = logger.isLevelEnabled('info')
  return {
    name: 'observe_request',
    handle(ctx, next) {
      metrics.httpInFlight.inc()
      ctx.onClose(() => {
        const status = ctx.res.writableFinished ? ctx.res.statusCode : 499
        const elapsed = performance.now() - ctx.startedAt
        metrics.httpInFlight.dec()
        metrics.observeHttpRequest(ctx.method, ctx.routeTemplate, status, elapsed / 1000)
        if (!logs) return
        const line: Record<string, unknown> = {
          requestId: ctx.requestId,
          method: ctx.method,
          path: ctx.path.length > 256 ? `${ctx.path.slice(0, 256)}...` : ctx.path,
          route: ctx.routeTemplate,
          status,
          ip: ctx.ip,
          durationMs: Math.round(elapsed * 100) / 100,
        }
        if (ctx.traceId !== ctx.requestId) line.traceId = ctx.traceId
        if (ctx.error) line.code = ctx.error.code
        logger.info('request', line)
      })
      return next()
    },
  }
}
