import { SpanStatusCode, type Span } from '@opentelemetry/api'
import { isException } from '../errors'

/**
 * Marks a span failed: status ERROR, an `exception` event (type, message,
 * stack), `error.type`, and `langvel.error.code` for Langvel's own errors, so
 * a trace is searched by the same code the client and the logs see.
 *
 * @example
 * catch (error) { recordSpanError(span, error); throw error }
 */
export function recordSpanError(span: Span, error: unknown): void {
  const code = isException(error) ? error.code : undefined
  const name = error instanceof Error ? error.name : typeof error
  span.recordException(error instanceof Error ? error : String(error))
  span.setStatus({ code: SpanStatusCode.ERROR, message: code ?? name })
  span.setAttribute('error.type', code ?? name)
  if (code) span.setAttribute('langvel.error.code', code)
}
