import { BaseCallbackHandler } from '@langchain/core/callbacks/base'
import { isGraphBubbleUp, isGraphInterrupt } from '@langchain/langgraph'
import { createContextKey, trace, type Context, type Span, type Tracer } from '@opentelemetry/api'
import type { TracedRun } from '../contracts/tracing'
import { recordSpanError } from './span_errors'

/** Marks the contexts of a node span and of every span started within it: the value is the node's LangChain run id. */
export const NODE_RUN_KEY = createContextKey('langvel.graph.node_run')

interface RunEntry {
  /** What spans started inside this LangChain run are children of. */
  context: Context
  /** Set when the run is a graph node: its span. */
  span?: Span
}

/**
 * A LangChain callback handler, one per agent run, that turns the graph's
 * nodes into spans under the run's span (subgraph nodes under their parent
 * node). It follows every LangChain run of the graph (chains, models, tools)
 * so that code running inside any of them finds the node span it belongs to
 * (`contextOf`). LangGraph's own entry node and Langvel's hidden steps are
 * not spans. An interrupt is not an error: the node span says
 * `langgraph.node.interrupted`.
 *
 * @example
 * const handler = new GraphSpanHandler(tracer, trace.setSpan(context.active(), runSpan), { agent: 'SupportAgent', path: '/support' })
 * await graph.invoke(input, { callbacks: [handler] })
 */
export class GraphSpanHandler extends BaseCallbackHandler {
  name = 'langvel_tracing'
  // Awaited, so a node's span exists before the node's code runs and looks for it.
  override awaitHandlers = true
  private readonly runs = new Map<string, RunEntry>()

  constructor(
    private readonly tracer: Tracer,
    private readonly root: Context,
    private readonly run: TracedRun,
  ) {
    super()
  }

  /** The context of LangChain run `runId`: its node span's, or the nearest enclosing one's. */
  contextOf(runId: string): Context | undefined {
    return this.runs.get(runId)?.context
  }

  // The argument order is the one CallbackManager calls with.
  override handleChainStart(_chain: unknown, _inputs: unknown, runId: string, parentRunId?: string, tags?: string[], metadata?: Record<string, unknown>, _runType?: string, runName?: string): void {
    const parent = this.parentOf(parentRunId)
    const node = metadata?.langgraph_node
    if (typeof node !== 'string' || runName !== node || tags?.includes('langsmith:hidden') || node.startsWith('__')) {
      this.runs.set(runId, { context: parent })
      return
    }
    const step = metadata?.langgraph_step
    const span = this.tracer.startSpan(
      `node ${node}`,
      {
        attributes: {
          'langgraph.node': node,
          ...(typeof step === 'number' ? { 'langgraph.step': step } : {}),
          'langvel.agent': this.run.agent,
          'langvel.route': this.run.path,
        },
      },
      parent,
    )
    this.runs.set(runId, { context: trace.setSpan(parent, span).setValue(NODE_RUN_KEY, runId), span })
  }

  override handleChainEnd(_outputs: unknown, runId: string): void {
    this.finish(runId)
  }

  override handleChainError(error: unknown, runId: string): void {
    this.finish(runId, error)
  }

  override handleToolStart(_tool: unknown, _input: string, runId: string, parentRunId?: string): void {
    this.runs.set(runId, { context: this.parentOf(parentRunId) })
  }

  override handleToolEnd(_output: unknown, runId: string): void {
    this.runs.delete(runId)
  }

  override handleToolError(_error: unknown, runId: string): void {
    this.runs.delete(runId)
  }

  override handleLLMStart(_llm: unknown, _prompts: string[], runId: string, parentRunId?: string): void {
    this.runs.set(runId, { context: this.parentOf(parentRunId) })
  }

  override handleChatModelStart(_llm: unknown, _messages: unknown, runId: string, parentRunId?: string): void {
    this.runs.set(runId, { context: this.parentOf(parentRunId) })
  }

  override handleLLMEnd(_output: unknown, runId: string): void {
    this.runs.delete(runId)
  }

  override handleLLMError(_error: unknown, runId: string): void {
    this.runs.delete(runId)
  }

  private parentOf(parentRunId: string | undefined): Context {
    return (parentRunId && this.runs.get(parentRunId)?.context) || this.root
  }

  private finish(runId: string, error?: unknown): void {
    const entry = this.runs.get(runId)
    this.runs.delete(runId)
    const span = entry?.span
    if (!span) return
    if (error !== undefined) {
      if (isGraphInterrupt(error)) span.setAttribute('langgraph.node.interrupted', true)
      // A Command to the parent graph travels as an error but is the node's answer.
      else if (!isGraphBubbleUp(error)) recordSpanError(span, error)
    }
    span.end()
  }
}
