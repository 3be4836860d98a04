import type { Span, SpanOptions } from '@opentelemetry/api'
import { activeTracing } from './tracing_runtime'

/**
 * Runs `fn` in a span when tracing is on, plainly when it is off (`span` is
 * then undefined, and nothing else is done). The span is a child of the
 * current one (inside a graph node: the node's), active while `fn` runs,
 * ended when it settles, and marked failed when it throws.
 *
 * @example
 * return traced(`execute_tool ${this.name}`, { attributes: { 'gen_ai.tool.name': this.name } }, async (span) => {
 *   const output = await work()
 *   span?.setAttribute('langvel.tool.attempts', attempts)
 *   return output
 * })
 */
export function traced<T>(name: string, options: SpanOptions, fn: (span?: Span) => Promise<T>): Promise<T> {
  const tracing = activeTracing()
  return tracing ? tracing.inSpan(name, options, fn) : fn(undefined)
}
