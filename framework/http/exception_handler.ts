import { E_SERVICE_UNAVAILABLE, isException } from '../errors'
import type { Logger } from '../logger'
import type { HttpContext } from './context'
import { unavailableService } from './unavailable_service'

export interface ErrorBody {
  error: {
    code: string
    message: string
    trace_id: string
    details?: unknown
    /** Only with DEBUG=true. */
    stack?: string
  }
}

export interface RenderedError {
  status: number
  headers: Record<string, string>
  body: ErrorBody
}

export interface ExceptionHandlerOptions {
  logger: Logger
  /** DEBUG=true: internal messages and stacks reach the client. Never in production. */
  debug: boolean
  /** Seconds sent in Retry-After with E_OVERLOADED and E_SHUTTING_DOWN. */
  retryAfterSeconds?: number
}

/** Server-side codes whose messages were written for clients and hold no internals. */
const SAFE_SERVER_CODES = new Set(['E_OVERLOADED', 'E_SHUTTING_DOWN', 'E_TIMEOUT', 'E_SERVICE_UNAVAILABLE'])
/** Codes that tell the client to come back: they carry Retry-After. */
const RETRY_CODES = new Set(['E_OVERLOADED', 'E_SHUTTING_DOWN', 'E_SERVICE_UNAVAILABLE'])

/**
 * What a client may read of an error: its own message when it is exposed
 * (a client error, or a server error safe to tell), a generic message
 * otherwise, so internals (a connection string, a path) never leave the server.
 *
 * @example
 * publicErrorMessage(new E_TIMEOUT(30)) // its message; a TypeError: 'Internal server error'
 */
export function publicErrorMessage(error: unknown): string {
  if (!isException(error)) return GENERIC_MESSAGES[500]
  return error.expose || SAFE_SERVER_CODES.has(error.code) ? error.message : (GENERIC_MESSAGES[error.status] ?? GENERIC_MESSAGES[500])
}

const GENERIC_MESSAGES: Record<number, string> = {
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'Service unavailable',
  504: 'Gateway timeout',
}

/**
 * The one place errors become responses. `report` logs the whole error (stack,
 * cause, trace id) for operators; `render` builds what the client sees: the
 * code, a message, the trace id and, for client errors, the details (invalid
 * fields). Server errors show a generic message unless debug is on, so a
 * stack, a SQL statement or a connection string never reaches a client.
 * Connection failures of Redis or the database (see unavailable_service.ts)
 * answer 503 E_SERVICE_UNAVAILABLE with Retry-After, not 500.
 *
 * @example
 * const handler = new ExceptionHandler({ logger, debug: false })
 * handler.handle(error, ctx)
 */
export class ExceptionHandler {
  private readonly retryAfter: string

  constructor(private readonly options: ExceptionHandlerOptions) {
    this.retryAfter = String(options.retryAfterSeconds ?? 1)
  }

  /** Reports and renders; if the response has started (a stream), only reports. */
  handle(error: unknown, ctx: HttpContext): void {
    const rendered = this.render(error, ctx.traceId || ctx.requestId)
    ctx.error = { code: rendered.body.error.code, status: rendered.status }
    this.report(error, ctx, rendered.status)
    const res = ctx.res
    if (res.headersSent || res.writableEnded) {
      if (!res.writableEnded) res.end()
      return
    }
    for (const [name, value] of Object.entries(rendered.headers)) res.setHeader(name, value)
    ctx.json(rendered.status, rendered.body)
  }

  /** Logs server errors in full; client errors are summarised by the access log line. */
  report(error: unknown, ctx: HttpContext, status = this.statusOf(error)): void {
    if (status < 500) {
      if (this.options.logger.isLevelEnabled('debug')) {
        this.options.logger.debug('request rejected', { requestId: ctx.requestId, traceId: ctx.traceId, error: error as Error })
      }
      return
    }
    this.options.logger.error('request failed', {
      requestId: ctx.requestId,
      traceId: ctx.traceId,
      method: ctx.method,
      route: ctx.routeTemplate,
      error: error instanceof Error ? error : new Error(String(error)),
    })
  }

  render(error: unknown, traceId: string): RenderedError {
    const debug = this.options.debug
    const headers: Record<string, string> = {}
    // Only Langvel's own errors choose response headers (Retry-After, X-RateLimit-*): a driver's or SDK's error may carry the headers of a response it received.
    const extraHeaders = isException(error) ? (error as { headers?: unknown }).headers : undefined
    if (extraHeaders && typeof extraHeaders === 'object') {
      for (const [name, value] of Object.entries(extraHeaders)) headers[name] = String(value)
    }

    if (!isException(error)) {
      // Redis or the database unreachable mid-run is an outage to retry, not a bug: 503, named by kind, never by host.
      const service = unavailableService(error)
      if (service) {
        const unavailable = new E_SERVICE_UNAVAILABLE(service, { cause: error })
        const rendered = this.render(unavailable, traceId)
        if (debug) {
          rendered.body.error.message = `${unavailable.message}: ${describe(error)}`
          const stack = (error as { stack?: unknown }).stack
          if (typeof stack === 'string') rendered.body.error.stack = stack
        }
        return rendered
      }
    }

    if (isException(error)) {
      const exposed = error.expose || SAFE_SERVER_CODES.has(error.code) || debug
      if (RETRY_CODES.has(error.code) && !headers['Retry-After']) headers['Retry-After'] = this.retryAfter
      const body: ErrorBody = {
        error: {
          code: error.code,
          message: exposed ? error.message : (GENERIC_MESSAGES[error.status] ?? GENERIC_MESSAGES[500]),
          trace_id: traceId,
        },
      }
      if (error.details !== undefined && (error.expose || debug)) body.error.details = error.details
      if (debug && error.stack) body.error.stack = error.stack
      return { status: error.status, headers, body }
    }

    const body: ErrorBody = {
      error: {
        code: 'E_RUNTIME',
        message: debug && error instanceof Error ? error.message : GENERIC_MESSAGES[500],
        trace_id: traceId,
      },
    }
    if (debug && error instanceof Error && error.stack) body.error.stack = error.stack
    return { status: 500, headers, body }
  }

  private statusOf(error: unknown): number {
    return isException(error) ? error.status : 500
  }
}

/** A driver error's message for DEBUG output; an AggregateError (one per address tried) has its messages in `errors`. */
function describe(error: unknown): string {
  const { message, errors } = error as { message?: unknown; errors?: unknown }
  if (typeof message === 'string' && message !== '') return message
  if (Array.isArray(errors)) return errors.map(describe).join('; ')
  return String(error)
}
