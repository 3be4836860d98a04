import { BaseCallbackHandler } from '@langchain/core/callbacks/base'
import { isGraphBubbleUp, isGraphInterrupt } from '@langchain/langgraph'
import type { BaseMessage } from '@langchain/core/messages'
import type { LLMResult } from '@langchain/core/outputs'
import { createContextKey, SpanKind, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api'
import type { TracedRun } from '../contracts/tracing'
import { recordSpanError } from './span_errors'
import { isTracedByLangvel } from './tracing_runtime'

/** Marks the contexts of the spans this handler makes and of every span started within them: the value is the span's LangChain run id. */
export const NODE_RUN_KEY = createContextKey('langvel.graph.node_run')

interface RunEntry {
  /** What spans started inside this LangChain run are children of. */
  context: Context
  /** Set when the run is a graph node: its span. */
  span?: Span
}

/** What a GraphSpanHandler makes spans of. */
export interface GraphSpanHandlerOptions {
  /**
   * Graph nodes too (default). Off for the handler a Langvel node gives its
   * own LangChain runs: Langvel-built graphs' nodes make their own spans.
   */
  nodes?: boolean
}

/**
 * A LangChain callback handler that turns what runs under it into spans. On
 * a whole run (a graph Langvel did not build), it turns the graph's nodes
 * into spans under the run's span (subgraph nodes under their parent node);
 * it follows every LangChain run of the graph (chains, models, tools) so that
 * code running inside any of them finds the span it belongs to (`contextOf`).
 * LangGraph's own entry node is not a span. An interrupt is not an error: the
 * node span says `langgraph.node.interrupted`. A node of a Langvel-built
 * graph gives one, without node spans, only to the LangChain runs it starts.
 *
 * Model and tool calls made through Langvel (`this.llm`, Langvel tools) make
 * their own spans and are tagged `TRACED_BY_LANGVEL`; a LangChain chat model
 * or tool used directly in a node gets its span here, from what LangChain
 * reports (provider, model, tokens, finish reason), without content.
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
  private readonly nodes: boolean

  constructor(
    private readonly tracer: Tracer,
    private readonly root: Context,
    private readonly run: TracedRun,
    options: GraphSpanHandlerOptions = {},
  ) {
    super()
    this.nodes = options.nodes ?? true
  }

  /** The context of LangChain run `runId`: its node span's, or the nearest enclosing one's. */
  contextOf(runId: string): Context | undefined {
    return this.runs.get(runId)?.context
  }

  // The argument order is the one CallbackManager calls with.
  override handleChainStart(_chain: unknown, _inputs: unknown, runId: string, parentRunId?: string, tags?: string[], metadata?: Record<string, unknown>, _runType?: string, runName?: string): void {
    const parent = this.parentOf(parentRunId)
    const node = metadata?.langgraph_node
    if (!this.nodes || typeof node !== 'string' || runName !== node || tags?.includes('langsmith:hidden') || node.startsWith('__')) {
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

  override handleToolStart(_tool: unknown, _input: string, runId: string, parentRunId?: string, _tags?: string[], metadata?: Record<string, unknown>, runName?: string, toolCallId?: string): void {
    const parent = this.parentOf(parentRunId)
    if (isTracedByLangvel(runId, metadata) || !runName) {
      this.runs.set(runId, { context: parent })
      return
    }
    const attributes: Attributes = { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': runName }
    if (toolCallId) attributes['gen_ai.tool.call.id'] = toolCallId
    this.startChild(runId, parent, `execute_tool ${runName}`, { attributes })
  }

  override handleToolEnd(_output: unknown, runId: string): void {
    this.finish(runId)
  }

  override handleToolError(error: unknown, runId: string): void {
    this.finish(runId, error)
  }

  override handleLLMStart(_llm: unknown, _prompts: string[], runId: string, parentRunId?: string, _extra?: Record<string, unknown>, tags?: string[], metadata?: Record<string, unknown>): void {
    this.modelStart(runId, parentRunId, tags, metadata, 'text_completion')
  }

  override handleChatModelStart(_llm: unknown, _messages: BaseMessage[][], runId: string, parentRunId?: string, _extra?: Record<string, unknown>, tags?: string[], metadata?: Record<string, unknown>): void {
    this.modelStart(runId, parentRunId, tags, metadata, 'chat')
  }

  override handleLLMEnd(output: LLMResult, runId: string): void {
    const span = this.runs.get(runId)?.span
    if (span) span.setAttributes(usageAttributes(output))
    this.finish(runId)
  }

  override handleLLMError(error: unknown, runId: string): void {
    this.finish(runId, error)
  }

  private modelStart(runId: string, parentRunId: string | undefined, tags: string[] | undefined, metadata: Record<string, unknown> | undefined, operation: string): void {
    const parent = this.parentOf(parentRunId)
    if (isTracedByLangvel(runId, metadata)) {
      this.runs.set(runId, { context: parent })
      return
    }
    const model = typeof metadata?.ls_model_name === 'string' ? metadata.ls_model_name : undefined
    const provider = typeof metadata?.ls_provider === 'string' ? metadata.ls_provider : undefined
    const attributes: Attributes = { 'gen_ai.operation.name': operation }
    if (provider) Object.assign(attributes, { 'gen_ai.system': provider, 'gen_ai.provider.name': provider })
    if (model) attributes['gen_ai.request.model'] = model
    if (typeof metadata?.ls_temperature === 'number') attributes['gen_ai.request.temperature'] = metadata.ls_temperature
    if (typeof metadata?.ls_max_tokens === 'number') attributes['gen_ai.request.max_tokens'] = metadata.ls_max_tokens
    this.startChild(runId, parent, model ? `${operation} ${model}` : operation, { kind: SpanKind.CLIENT, attributes })
  }

  private startChild(runId: string, parent: Context, name: string, options: { kind?: SpanKind; attributes: Attributes }): void {
    const span = this.tracer.startSpan(name, options, parent)
    this.runs.set(runId, { context: trace.setSpan(parent, span).setValue(NODE_RUN_KEY, runId), span })
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

/** Tokens, finish reason and answering model of a LangChain model run, as GenAI attributes. */
function usageAttributes(output: LLMResult): Attributes {
  const attributes: Attributes = {}
  const generation = output.generations?.[0]?.[0] as { message?: { usage_metadata?: { input_tokens?: number; output_tokens?: number }; response_metadata?: Record<string, unknown> }; generationInfo?: Record<string, unknown> } | undefined
  const usage = generation?.message?.usage_metadata
  const reported = (output.llmOutput?.tokenUsage ?? {}) as { promptTokens?: number; completionTokens?: number }
  const input = usage?.input_tokens ?? reported.promptTokens
  const outputTokens = usage?.output_tokens ?? reported.completionTokens
  if (typeof input === 'number') attributes['gen_ai.usage.input_tokens'] = input
  if (typeof outputTokens === 'number') attributes['gen_ai.usage.output_tokens'] = outputTokens
  const metadata = { ...generation?.generationInfo, ...generation?.message?.response_metadata }
  const finish = metadata.finish_reason ?? metadata.stop_reason
  if (typeof finish === 'string') attributes['gen_ai.response.finish_reasons'] = [finish]
  const model = metadata.model_name ?? metadata.model
  if (typeof model === 'string') attributes['gen_ai.response.model'] = model
  return attributes
}
