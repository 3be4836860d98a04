import { randomUUID } from 'node:crypto'
import { context, trace, type Context, type Span } from '@opentelemetry/api'
import type { AgentRouteInfo, RunOptions, StreamEvent } from '../contracts/agent_run'
import { isException } from '../errors'
import { TRACED_RUN_KEY, type TracedRunContext } from './node_spans'
import { recordSpanError } from './span_errors'
import { activeTracing } from './tracing_runtime'

/** Codes of runs stopped from outside (the client left, the server drains): cancelled, not failed. */
const CANCELLED_CODES = new Set(['E_ABORTED', 'E_SHUTTING_DOWN'])

/** How a traced run ended, as its span's `langvel.run.outcome` says. */
export type RunSpanOutcome = 'success' | 'interrupted' | 'error' | 'cancelled'

/** How a run's graph is traced. */
export interface RunTraceOptions {
  /**
   * The graph was not built by Langvel (an external compiled LangGraph
   * graph): its nodes do not make their own spans, so a GraphSpanHandler on
   * the run's callbacks makes them, following every runnable of the run.
   * Default: the route's `externalGraph`, else false.
   */
  graphCallbacks?: boolean
}

/**
 * The span of one agent run (`invoke_agent <Agent>`) and what the run needs
 * to be traced: the context to run in, which carries what the nodes of a
 * Langvel-built graph need to make their spans under it (node_spans.ts), and
 * the options to run with. For a graph Langvel did not build
 * (`graphCallbacks`), the options carry a GraphSpanHandler that makes the
 * node spans from LangChain's callbacks instead. Ends once, with the run's
 * outcome.
 *
 * @example
 * const run = RunTrace.start(route, 'invoke', options)
 * if (!run) return execute(options)
 * return run.settle(() => execute(run.options), (result) => (result.interrupts.length > 0 ? 'interrupted' : 'success'))
 */
export class RunTrace<O extends RunOptions> {
  private ended = false

  private constructor(
    readonly span: Span,
    private readonly context: Context,
    readonly options: O,
  ) {}

  /** The run's span under the current one, or undefined when tracing is off. */
  static start<O extends RunOptions>(route: AgentRouteInfo, mode: string, options: O, how: RunTraceOptions = {}): RunTrace<O> | undefined {
    const tracing = activeTracing()
    if (!tracing) return undefined
    // Chosen here rather than by the runner, so the span can name the thread.
    const threadId = options.threadId ?? randomUUID()
    const parent = tracing.parentContext()
    const span = tracing.startSpan(
      `invoke_agent ${route.agent}`,
      {
        attributes: {
          'gen_ai.operation.name': 'invoke_agent',
          'gen_ai.agent.name': route.agent,
          ...(route.description ? { 'gen_ai.agent.description': route.description.slice(0, 256) } : {}),
          'gen_ai.conversation.id': threadId,
          'langvel.route': route.path,
          'langvel.run.mode': mode,
          ...(options.context?.principal ? { 'enduser.id': options.context.principal.id } : {}),
        },
      },
      parent,
    )
    const run: TracedRunContext = { agent: route.agent, path: route.path }
    const graphCallbacks = how.graphCallbacks ?? route.externalGraph === true
    if (graphCallbacks) run.graphCallbacks = true
    const runContext = trace.setSpan(parent, span).setValue(TRACED_RUN_KEY, run)
    if (!graphCallbacks) return new RunTrace(span, runContext, { ...options, threadId })
    const handler = tracing.graphHandler(runContext, run)
    return new RunTrace(span, runContext, { ...options, threadId, callbacks: [...(options.callbacks ?? []), handler] })
  }

  /** Runs `work` inside the run's span and ends the span with its outcome. */
  async settle<T>(work: () => Promise<T>, outcome: (value: T) => RunSpanOutcome): Promise<T> {
    try {
      const value = await context.with(this.context, work)
      this.end(outcome(value))
      return value
    } catch (error) {
      this.fail(error)
      throw error
    }
  }

  /**
   * Runs `start`, and every read of its events, inside the run's span; the
   * span lasts until the events are read to the end (or the reader stops).
   */
  async stream(start: () => Promise<AsyncIterable<StreamEvent>>): Promise<AsyncIterable<StreamEvent>> {
    let events: AsyncIterable<StreamEvent>
    try {
      events = await context.with(this.context, start)
    } catch (error) {
      this.fail(error)
      throw error
    }
    return this.follow(events)
  }

  /**
   * Ends the span with the run's error. A run stopped from outside (E_ABORTED:
   * the client's signal; E_SHUTTING_DOWN: the server draining) is `cancelled`
   * with its status left unset and its code kept as `langvel.error.code`:
   * nothing failed.
   */
  fail(error: unknown): void {
    if (this.ended) return
    if (isException(error) && CANCELLED_CODES.has(error.code)) {
      this.span.setAttribute('langvel.error.code', error.code)
      this.end('cancelled')
      return
    }
    recordSpanError(this.span, error)
    this.end('error')
  }

  end(outcome: RunSpanOutcome): void {
    if (this.ended) return
    this.ended = true
    this.span.setAttribute('langvel.run.outcome', outcome)
    this.span.end()
  }

  /**
   * The events, ending the span when they are read to the end, fail, or the
   * reader stops, including by `return()` before the first `next()` (which
   * never runs a generator's `finally`).
   */
  private follow(events: AsyncIterable<StreamEvent>): AsyncGenerator<StreamEvent> {
    const inner = this.read(events)
    const outer = {
      // Each pull runs in the run's context: a graph's loop starts on the first one, and its nodes' spans go under the run's.
      next: (...args: [] | [unknown]) => context.with(this.context, () => inner.next(...args)),
      return: async (value: unknown) => {
        try {
          return await inner.return(value)
        } finally {
          this.end('cancelled')
        }
      },
      throw: async (error: unknown) => {
        try {
          return await inner.throw(error)
        } finally {
          this.fail(error)
        }
      },
      [Symbol.asyncIterator]: () => outer,
    } as AsyncGenerator<StreamEvent>
    // `await using` support where the runtime has it (the build's type library does not declare it).
    const dispose = (Symbol as { asyncDispose?: symbol }).asyncDispose
    if (dispose) Object.defineProperty(outer, dispose, { value: async () => void (await outer.return(undefined)) })
    return outer
  }

  private async *read(events: AsyncIterable<StreamEvent>): AsyncGenerator<StreamEvent> {
    let interrupted = false
    try {
      for await (const event of events) {
        if (event.event === 'interrupt') interrupted = true
        yield event
      }
      this.end(interrupted ? 'interrupted' : 'success')
    } catch (error) {
      this.fail(error)
      throw error
    } finally {
      // The reader stopped early (client gone): the run was cancelled, not finished.
      this.end('cancelled')
    }
  }
}
