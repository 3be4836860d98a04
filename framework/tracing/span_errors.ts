import { SpanStatusCode, type Exception, type Span } from '@opentelemetry/api'
import { isException } from '../errors'
import { redactString } from '../logger/redact'

/*
 * Stacks go on spans only with DEBUG=true, as they reach clients only then
 * (the exception handler's rule): a trace backend is read by more people than
 * the logs. Set by the tracing provider at boot.
 */
let recordStacks = false

/** DEBUG=true: `exception.stacktrace` is recorded on spans (redacted). */
export function setSpanErrorStacks(on: boolean): void {
  recordStacks = on
}

/**
 * Marks a span failed: status ERROR, an `exception` event (type, message, and
 * the stack with DEBUG=true, both redacted as the logs are), `error.type`, and
 * `langvel.error.code` for Langvel's own errors, so a trace is searched by
 * the same code the client and the logs see.
 *
 * @example
 * catch (error) { recordSpanError(span, error); throw error }
 */
export function recordSpanError(span: Span, error: unknown): void {
  const code = isException(error) ? error.code : undefined
  const name = error instanceof Error ? error.name : typeof error
  span.recordException(exceptionOf(error, code))
  span.setStatus({ code: SpanStatusCode.ERROR, message: code ?? name })
  span.setAttribute('error.type', code ?? name)
  if (code) span.setAttribute('langvel.error.code', code)
}

function exceptionOf(error: unknown, code: string | undefined): Exception {
  if (!(error instanceof Error)) return redactString(String(error))
  const exception: Exception = { name: error.name, message: redactString(error.message) }
  if (code) exception.code = code
  if (recordStacks && error.stack) exception.stack = redactString(error.stack)
  return exception
}
