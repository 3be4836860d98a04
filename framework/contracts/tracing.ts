import type { BaseCallbackHandler } from '@langchain/core/callbacks/base'
import type { Context, Span, SpanOptions } from '@opentelemetry/api'

/** What the agent run span knows about the run, for the spans of its graph. */
export interface TracedRun {
  /** The agent class name. */
  agent: string
  /** The route path (`/support`). */
  path: string
}

/**
 * The tracing a booted application has: spans for requests, runs, nodes,
 * tools, model, MCP and retrieval calls. Code asks for it through
 * `activeTracing()`, which is undefined when tracing is off, so an untraced
 * process does no tracing work at all.
 */
export interface Tracing {
  /** Prompts, completions and tool arguments go on spans (OTEL_CAPTURE_CONTENT). */
  readonly captureContent: boolean
  /** Starts a span, child of `parent` (default: the innermost Langvel span of this flow). */
  startSpan(name: string, options?: SpanOptions, parent?: Context): Span
  /** Runs `fn` in a child span of the current one, active while it runs; ends it when `fn` settles, recording a failure. */
  inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T>
  /** The context to parent a new span on: inside a graph node, that node's span (or a span started within it). */
  parentContext(): Context
  /** The context a W3C `traceparent` (and `tracestate`) header carries, on top of `base`. */
  extract(headers: Record<string, string | string[] | undefined>, base?: Context): Context
  /** The `traceparent` header value of a span. */
  traceparent(span: Span): string
  /**
   * A LangChain callback handler turning a run's graph nodes, and the LangChain
   * models and tools they call, into children of `parent`; with `nodes: false`,
   * only the models and tools (what a Langvel node gives the runs it starts).
   */
  graphHandler(parent: Context, run: TracedRun, options?: { nodes?: boolean }): BaseCallbackHandler
  /** Exports what is queued; resolves within the export timeout. */
  forceFlush(): Promise<void>
  shutdown(): Promise<void>
}
