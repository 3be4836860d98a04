import { randomUUID } from 'node:crypto'
import type { HttpMiddleware } from '../compose'

/** What a client-supplied request id may look like; anything else is replaced. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/
const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/
const ZERO_TRACE = '0'.repeat(32)

/** Keeps a well-formed X-Request-Id, otherwise generates a UUID. */
export function resolveRequestId(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header
  return value !== undefined && REQUEST_ID_PATTERN.test(value) ? value : randomUUID()
}

/** The W3C trace id of a valid `traceparent` header, if any. */
export function traceIdFrom(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header
  const match = value === undefined ? null : TRACEPARENT.exec(value)
  return match && match[1] !== ZERO_TRACE ? match[1] : undefined
}

/**
 * Gives every request an id before anything else runs, so every log line and
 * every response (errors included) carries it. A malformed client id is
 * replaced rather than echoed: it could carry log-injection or huge values.
 * The trace id follows an incoming W3C `traceparent`, else equals the request id;
 * with tracing on, the request span's trace id replaces it (trace_request.ts).
 *
 * @example
 * new HttpKernel({ logger, exceptionHandler, middleware: [requestId(), securityHeaders()] }) // first: later middleware log the id
 */
export function requestId(): HttpMiddleware {
  return {
    name: 'request_id',
    handle(ctx, next) {
      ctx.requestId = resolveRequestId(ctx.req.headers['x-request-id'])
      ctx.traceId = traceIdFrom(ctx.req.headers.traceparent) ?? ctx.requestId
      ctx.res.setHeader('X-Request-Id', ctx.requestId)
      return next()
    },
  }
}
