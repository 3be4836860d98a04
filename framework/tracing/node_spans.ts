import type { BaseCallbackHandler } from '@langchain/core/callbacks/base'
import { CallbackManager } from '@langchain/core/callbacks/manager'
import { AsyncLocalStorageProviderSingleton } from '@langchain/core/singletons'
import { isGraphBubbleUp, isGraphInterrupt, type LangGraphRunnableConfig } from '@langchain/langgraph'
import { context, createContextKey, trace, type Context } from '@opentelemetry/api'
import type { TracedRun, Tracing } from '../contracts/tracing'
import { GraphSpanHandler } from './graph_spans'
import { recordSpanError } from './span_errors'
import { activeTracing } from './tracing_runtime'

/**
 * Marks the context of a traced agent run (set by RunTrace): what its node
 * spans say about the run, and whether the run's graph is followed by a
 * whole-run GraphSpanHandler instead of node spans made by the nodes.
 */
export const TRACED_RUN_KEY = createContextKey('langvel.traced_run')

export interface TracedRunContext extends TracedRun {
  /** The run's graph is not built by Langvel: the GraphSpanHandler on its callbacks makes the node spans. */
  graphCallbacks?: boolean
}

type NodeFn = (state: any, config: LangGraphRunnableConfig) => Promise<unknown>

export interface TracedNodeOptions {
  /**
   * The node runs application code that may call a LangChain model or tool
   * directly: its own LangChain runs get a handler making their spans. Off for
   * nodes that only run a Langvel subgraph (their nodes make their own spans).
   */
  calls: boolean
}

/**
 * A graph node function that, while a traced run is on, is the `node <name>`
 * span: started when the node starts, active while it runs (so the model,
 * tool, MCP and retrieval spans made inside are its children, and so are the
 * nodes of a subgraph it runs), ended with the node's outcome. An interrupt
 * or a Command to the parent graph is not an error. With tracing off, or
 * outside a run the runner traces, it calls `fn` and nothing else. Names
 * starting with `__` (LangGraph's own) get no span.
 *
 * @example
 * graph.addNode('fetch', tracedNode('fetch', fetchFn, { calls: true }))
 */
export function tracedNode<F extends NodeFn>(name: string, fn: F, options: TracedNodeOptions): F {
  if (name.startsWith('__')) return fn
  const traced = (state: unknown, config: LangGraphRunnableConfig) => {
    const tracing = activeTracing()
    if (!tracing) return fn(state, config)
    return runTraced(tracing, name, fn, state, config, options.calls)
  }
  return traced as F
}

function runTraced(tracing: Tracing, name: string, fn: NodeFn, state: unknown, config: LangGraphRunnableConfig, calls: boolean): Promise<unknown> {
  const parent = context.active()
  const run = parent.getValue(TRACED_RUN_KEY) as TracedRunContext | undefined
  if (!run || run.graphCallbacks) return fn(state, config)
  const step = config?.metadata?.langgraph_step
  const span = tracing.startSpan(
    `node ${name}`,
    {
      attributes: {
        'langgraph.node': name,
        ...(typeof step === 'number' ? { 'langgraph.step': step } : {}),
        'langvel.agent': run.agent,
        'langvel.route': run.path,
      },
    },
    parent,
  )
  const nodeContext = trace.setSpan(parent, span)
  const work = calls ? () => withCallHandler(tracing, nodeContext, run, fn, state, config) : () => fn(state, config)
  return context.with(nodeContext, work).then(
    (value) => {
      span.end()
      return value
    },
    (error: unknown) => {
      if (isGraphInterrupt(error)) span.setAttribute('langgraph.node.interrupted', true)
      // A Command to the parent graph travels as an error but is the node's answer.
      else if (!isGraphBubbleUp(error)) recordSpanError(span, error)
      span.end()
      throw error
    },
  )
}

/**
 * Runs the node with a config whose callbacks include a handler, rooted at
 * the node's span, for the LangChain runs the node starts itself (a chat
 * model or tool used directly): passed to the node and made LangChain's
 * current config, so a model invoked without a config picks it up. The
 * graph's own runnables around the node never see it.
 */
function withCallHandler(tracing: Tracing, nodeContext: Context, run: TracedRun, fn: NodeFn, state: unknown, config: LangGraphRunnableConfig): Promise<unknown> {
  const handler = tracing.graphHandler(nodeContext, run, { nodes: false })
  const nodeConfig: LangGraphRunnableConfig = { ...config, callbacks: withHandler(config?.callbacks, handler) }
  return runWithConfig(nodeConfig, () => fn(state, nodeConfig))
}

/** Where LangChain keeps the current runnable config on the entry of its async local storage. */
const CHILD_CONFIG = Symbol.for('lc:child_config')
let derivedStores: boolean | undefined

/**
 * Makes `config` LangChain's current config while `work` runs. Inside a node,
 * LangGraph's entry for the node is already there: a derived copy of it
 * carrying `config` does, without building a new one the way
 * `runWithConfig` does for every call. Falls back to `runWithConfig` outside
 * a node, or if LangChain no longer reads the config from where it did.
 */
function runWithConfig<T>(config: LangGraphRunnableConfig, work: () => T): T {
  const storage = AsyncLocalStorageProviderSingleton.getInstance()
  const current = storage.getStore() as { extra?: Record<PropertyKey, unknown> } | undefined
  derivedStores ??= readsDerivedStores()
  if (!derivedStores || !current || typeof current !== 'object') return AsyncLocalStorageProviderSingleton.runWithConfig(config, work)
  const store = Object.create(current) as { extra?: Record<PropertyKey, unknown> }
  store.extra = { ...current.extra, [CHILD_CONFIG]: config }
  return storage.run(store, work)
}

function readsDerivedStores(): boolean {
  const probe = {}
  const storage = AsyncLocalStorageProviderSingleton.getInstance()
  return storage.run(Object.create({ extra: {} }, { extra: { value: { [CHILD_CONFIG]: probe } } }), () => AsyncLocalStorageProviderSingleton.getRunnableConfig() === probe)
}

/** `callbacks` with `handler` in place of any span handler they inherited (from the node of an enclosing graph). */
function withHandler(callbacks: LangGraphRunnableConfig['callbacks'], handler: BaseCallbackHandler): LangGraphRunnableConfig['callbacks'] {
  if (!callbacks) return [handler]
  if (Array.isArray(callbacks)) return [...callbacks.filter((entry) => !(entry instanceof GraphSpanHandler)), handler]
  if (!(callbacks instanceof CallbackManager)) return callbacks
  const manager = callbacks.copy()
  for (const inherited of manager.handlers) if (inherited instanceof GraphSpanHandler) manager.removeHandler(inherited)
  manager.addHandler(handler, true)
  return manager
}
