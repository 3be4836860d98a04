import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import type { Tracing } from '../../contracts/tracing'
import { recordSpanError } from '../../tracing/span_errors'
import type { HttpMiddleware } from '../compose'
import { UNMATCHED_ROUTE } from '../context'

/**
 * One SERVER span per request when tracing is on (the server does not add
 * this middleware otherwise). An incoming W3C `traceparent` makes the request
 * part of the caller's trace. The span's trace id becomes the request's trace
 * id, so logs, error bodies (`trace_id`), run metadata and the trace backend
 * all show the same value; the response carries it in `traceparent`. The
 * span is active while the request is handled, so runs, nodes, tools and
 * model calls become its children. It ends when the response closes: status
 * 5xx marks it failed, and Langvel's error code is an attribute either way.
 *
 * @example
 * new HttpKernel({ logger, exceptionHandler, middleware: [requestId(), traceRequest(tracing), observeRequest({ logger, metrics })] })
 */
export function traceRequest(tracing: Tracing): HttpMiddleware {
  return {
    name: 'trace_request',
    async handle(ctx, next) {
      const parent = tracing.extract(ctx.req.headers, ROOT_CONTEXT)
      const userAgent = ctx.header('user-agent')
      const span = tracing.startSpan(
        ctx.method,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': ctx.method,
            'url.path': ctx.path.length > 256 ? `${ctx.path.slice(0, 256)}...` : ctx.path,
            'url.scheme': ctx.protocol,
            ...(ctx.ip ? { 'client.address': ctx.ip } : {}),
            ...(userAgent ? { 'user_agent.original': userAgent.slice(0, 256) } : {}),
            'langvel.request_id': ctx.requestId,
          },
        },
        parent,
      )
      ctx.traceId = span.spanContext().traceId
      ctx.res.setHeader('traceparent', tracing.traceparent(span))
      let thrown: unknown
      ctx.onClose(() => {
        const status = ctx.res.writableFinished ? ctx.res.statusCode : 499
        const route = ctx.routeTemplate
        if (route !== UNMATCHED_ROUTE) {
          span.updateName(`${ctx.method} ${route}`)
          span.setAttribute('http.route', route)
        }
        span.setAttribute('http.response.status_code', status)
        if (ctx.agent) span.setAttribute('langvel.route', ctx.agent.path)
        if (ctx.principal) span.setAttribute('enduser.id', ctx.principal.id)
        if (status >= 500) {
          if (thrown !== undefined) recordSpanError(span, thrown)
          else span.setStatus({ code: SpanStatusCode.ERROR, message: ctx.error?.code })
        }
        // A client error is the client's, not the server's: the code is kept, the status stays unset.
        if (ctx.error) span.setAttribute('langvel.error.code', ctx.error.code)
        span.end()
      })
      try {
        await context.with(trace.setSpan(parent, span), next)
      } catch (error) {
        thrown = error
        throw error
      }
    },
  }
}
