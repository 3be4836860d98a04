import { Annotation, Command, END, MemorySaver, START, StateGraph, interrupt } from '@langchain/langgraph'
import type { BaseCheckpointSaver, LangGraphRunnableConfig } from '@langchain/langgraph'
import { z } from 'zod'
import type {
  AgentRouteInfo,
  AgentRunner,
  InterruptInfo,
  RunOptions,
  RunResult,
  StreamEvent,
  StreamMode,
  StreamOptions,
  ThreadState,
} from '../../../../framework/contracts/agent_run'
import { toStreamEvents } from '../../../../framework/agents/run_support'
import { raceEvents } from '../../../../framework/agents/run_deadline'
import { E_AGENT_NOT_FOUND, E_NOTHING_TO_RESUME, E_THREAD_NOT_FOUND, E_VALIDATION } from '../../../../framework/errors'

const NO_HIDDEN_NODES: ReadonlySet<string> = new Set()

/**
 * A small AgentRunner over real compiled LangGraph graphs (MemorySaver): the
 * test double for the agents layer the HTTP server talks to. It is not a mock:
 * graphs really run, stream, interrupt, resume and honour the abort signal.
 */

const State = Annotation.Root({
  query: Annotation<string>(),
  response: Annotation<string>(),
  approved: Annotation<boolean>(),
  delayMs: Annotation<number>(),
  steps: Annotation<string[]>({ reducer: (a, b) => [...a, ...b], default: () => [] }),
})
type S = typeof State.State

/** What the slow graph's nodes observed, for asserting cancellation. */
export interface Observations {
  started: string[]
  aborted: string[]
  completed: string[]
}

function sleep(ms: number, signal: AbortSignal | undefined, observations: Observations, node: string): Promise<void> {
  observations.started.push(node)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      observations.completed.push(node)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      observations.aborted.push(node)
      reject(signal?.reason ?? new Error('aborted'))
    }
    if (signal?.aborted) return onAbort()
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

function buildGraphs(observations: Observations, checkpointer: BaseCheckpointSaver = new MemorySaver()) {
  const echo = new StateGraph(State)
    .addNode('prepare', (s: S) => ({ query: s.query.trim(), steps: ['prepare'] }))
    .addNode('respond', (s: S) => ({ response: `Processed: ${s.query}`, steps: ['respond'] }))
    .addEdge(START, 'prepare')
    .addEdge('prepare', 'respond')
    .addEdge('respond', END)
    .compile({ checkpointer })

  const approval = new StateGraph(State)
    .addNode('draft', (s: S) => ({ response: `Draft for ${s.query}`, steps: ['draft'] }))
    .addNode('review', (s: S) => {
      const answer = interrupt({ question: `Approve "${s.response}"?` })
      return { approved: answer === 'yes', steps: ['review'] }
    })
    .addNode('finish', (s: S) => ({ response: s.approved ? `${s.response} (approved)` : `${s.response} (rejected)`, steps: ['finish'] }))
    .addEdge(START, 'draft')
    .addEdge('draft', 'review')
    .addEdge('review', 'finish')
    .addEdge('finish', END)
    .compile({ checkpointer })

  const slow = new StateGraph(State)
    .addNode('wait', async (s: S, config: LangGraphRunnableConfig) => {
      await sleep(s.delayMs ?? 5000, config.signal, observations, 'wait')
      return { steps: ['wait'] }
    })
    .addNode('after', () => {
      observations.started.push('after')
      observations.completed.push('after')
      return { response: 'done', steps: ['after'] }
    })
    .addEdge(START, 'wait')
    .addEdge('wait', 'after')
    .addEdge('after', END)
    .compile({ checkpointer })

  const boom = new StateGraph(State)
    .addNode('fail', () => {
      throw new Error('connect ECONNREFUSED postgres://admin:hunter2@db.internal:5432 while running SELECT secret FROM vault')
    })
    .addEdge(START, 'fail')
    .addEdge('fail', END)
    .compile({ checkpointer })

  // Two nodes in the same step: their updates differ only by the node that wrote them.
  const fanout = new StateGraph(State)
    .addNode('left', () => ({ steps: ['done'] }))
    .addNode('right', () => ({ steps: ['done'] }))
    .addEdge(START, 'left')
    .addEdge(START, 'right')
    .addEdge('left', END)
    .addEdge('right', END)
    .compile({ checkpointer })

  return { echo, approval, slow, boom, fanout }
}

type Graphs = ReturnType<typeof buildGraphs>
type Graph = Graphs[keyof Graphs]

export interface GraphRunnerOptions {
  /** Per-route timeout of the slow agent (seconds). */
  slowTimeoutSeconds?: number
  /** AGENT_TIMEOUT: the timeout of routes that set none, resolved into the route info as the real runner does. */
  defaultTimeoutSeconds?: number
  /** Extra named middleware on the echo route. */
  echoMiddleware?: string[]
  /** Where the graphs keep their checkpoints (a MemorySaver by default). */
  checkpointer?: BaseCheckpointSaver
}

export class GraphRunner implements AgentRunner {
  readonly observations: Observations = { started: [], aborted: [], completed: [] }
  private readonly graphs: Graphs
  private readonly infos: AgentRouteInfo[]
  private readonly byPath = new Map<string, { info: AgentRouteInfo; graph: Graph }>()

  constructor(options: GraphRunnerOptions = {}) {
    this.graphs = buildGraphs(this.observations, options.checkpointer)
    const base = { middleware: [] as string[], checkpointer: 'memory', interrupts: [] as string[], tools: [] as string[], timeoutSeconds: options.defaultTimeoutSeconds }
    this.infos = [
      {
        ...base,
        path: '/echo',
        name: 'echo',
        description: 'Echoes the query',
        agent: 'EchoAgent',
        middleware: options.echoMiddleware ?? [],
        inputSchema: z.object({ query: z.string().min(1) }),
      },
      { ...base, path: '/support/approval', name: 'approval', description: 'Asks a human to approve', agent: 'ApprovalAgent', inputSchema: z.object({ query: z.string() }), interrupts: ['review'] },
      { ...base, path: '/slow', name: 'slow', agent: 'SlowAgent', timeoutSeconds: options.slowTimeoutSeconds ?? options.defaultTimeoutSeconds, inputSchema: z.object({ delayMs: z.number().int().min(0) }) },
      { ...base, path: '/boom', name: 'boom', agent: 'BoomAgent' },
      { ...base, path: '/fanout', name: 'fanout', agent: 'FanoutAgent' },
    ]
    const graphOf: Record<string, Graph> = {
      '/echo': this.graphs.echo,
      '/support/approval': this.graphs.approval,
      '/slow': this.graphs.slow,
      '/boom': this.graphs.boom,
      '/fanout': this.graphs.fanout,
    }
    for (const info of this.infos) this.byPath.set(info.path, { info, graph: graphOf[info.path] })
  }

  routes(): AgentRouteInfo[] {
    return this.infos
  }

  route(path: string): AgentRouteInfo {
    return this.entry(path).info
  }

  // Like the real runner: a run is bounded by the caller's deadline when one is given (its signal, and a
  // wait that ends the moment it is stopped), by `signal` alone otherwise.

  async invoke(path: string, input: unknown, options: RunOptions = {}): Promise<RunResult> {
    const { info, graph } = this.entry(path)
    const parsed = this.validate(info, input)
    const threadId = options.threadId ?? 'generated'
    return this.bounded(options, async (signal) => {
      const output = (await graph.invoke(parsed as S, { configurable: { thread_id: threadId }, signal })) as Record<string, unknown>
      delete output.__interrupt__
      return { output, threadId, interrupts: await this.interruptsOf(graph, threadId) }
    })
  }

  async stream(path: string, input: unknown, options: StreamOptions = {}): Promise<AsyncIterable<StreamEvent>> {
    const { info, graph } = this.entry(path)
    const parsed = this.validate(info, input)
    return this.boundedStream(options, this.streamGraph(graph, parsed as S, options))
  }

  async resume(path: string, threadId: string, value: unknown, options: RunOptions = {}): Promise<RunResult> {
    const { graph } = this.entry(path)
    await this.pendingOrThrow(graph, threadId)
    return this.bounded(options, async (signal) => {
      const output = (await graph.invoke(new Command({ resume: value }) as never, { configurable: { thread_id: threadId }, signal })) as Record<string, unknown>
      delete output.__interrupt__
      return { output, threadId, interrupts: await this.interruptsOf(graph, threadId) }
    })
  }

  async resumeStream(path: string, threadId: string, value: unknown, options: StreamOptions = {}): Promise<AsyncIterable<StreamEvent>> {
    const { graph } = this.entry(path)
    await this.pendingOrThrow(graph, threadId)
    return this.boundedStream(options, this.streamGraph(graph, new Command({ resume: value }), { ...options, threadId }))
  }

  private bounded<T>(options: RunOptions, work: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
    const deadline = options.deadline
    return deadline ? deadline.race(work(deadline.signal)) : work(options.signal)
  }

  private boundedStream(options: RunOptions, events: AsyncIterable<StreamEvent>): AsyncIterable<StreamEvent> {
    return options.deadline ? raceEvents(events, options.deadline) : events
  }

  async getState(path: string, threadId: string): Promise<ThreadState> {
    const { graph } = this.entry(path)
    const snapshot = await graph.getState({ configurable: { thread_id: threadId } })
    if (!snapshot.createdAt) throw new E_THREAD_NOT_FOUND(threadId)
    return this.present(threadId, snapshot)
  }

  async getHistory(path: string, threadId: string, options: RunOptions & { limit?: number } = {}): Promise<ThreadState[]> {
    const { graph } = this.entry(path)
    const states: ThreadState[] = []
    for await (const snapshot of graph.getStateHistory({ configurable: { thread_id: threadId } }, { limit: options.limit })) {
      states.push(this.present(threadId, snapshot))
    }
    if (states.length === 0) throw new E_THREAD_NOT_FOUND(threadId)
    return states
  }

  async graph(path: string): Promise<string> {
    return (await this.entry(path).graph.getGraphAsync()).drawMermaid()
  }

  private entry(path: string) {
    const entry = this.byPath.get(path)
    if (!entry) throw new E_AGENT_NOT_FOUND(path)
    return entry
  }

  private validate(info: AgentRouteInfo, input: unknown): unknown {
    if (!info.inputSchema) return input ?? {}
    const result = info.inputSchema.safeParse(input)
    if (!result.success) {
      // Shaped like framework/agents: paths relative to the input.
      throw new E_VALIDATION('Invalid input', {
        details: result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
      })
    }
    return result.data
  }

  private async *streamGraph(graph: Graph, input: S | Command, options: StreamOptions): AsyncIterable<StreamEvent> {
    const threadId = options.threadId ?? 'generated'
    const modes = options.modes ?? ['values']
    const stream = await graph.stream(input as S, { configurable: { thread_id: threadId }, signal: options.deadline?.signal ?? options.signal, streamMode: modes })
    // The agents layer's own translation: `updates` come one per node, the node named beside the data.
    const wanted = new Set(modes)
    for await (const [mode, data] of stream as AsyncIterable<[StreamMode, unknown]>) {
      yield* toStreamEvents(mode, data, wanted, NO_HIDDEN_NODES, [])
    }
    const interrupts = await this.interruptsOf(graph, threadId)
    if (interrupts.length > 0) yield { event: 'interrupt', data: interrupts }
  }

  private async pendingOrThrow(graph: Graph, threadId: string): Promise<void> {
    const snapshot = await graph.getState({ configurable: { thread_id: threadId } })
    if (!snapshot.createdAt) throw new E_THREAD_NOT_FOUND(threadId)
    if (snapshot.next.length === 0) throw new E_NOTHING_TO_RESUME(threadId)
  }

  private async interruptsOf(graph: Graph, threadId: string): Promise<InterruptInfo[]> {
    const snapshot = await graph.getState({ configurable: { thread_id: threadId } })
    return snapshot.tasks.flatMap((task) => (task.interrupts ?? []).map((item) => ({ id: String(item.id), value: item.value, node: task.name })))
  }

  private present(threadId: string, snapshot: Awaited<ReturnType<Graph['getState']>>): ThreadState {
    return {
      threadId,
      values: snapshot.values as Record<string, unknown>,
      next: [...snapshot.next],
      interrupts: snapshot.tasks.flatMap((task) => (task.interrupts ?? []).map((item) => ({ id: String(item.id), value: item.value, node: task.name }))),
      checkpointId: snapshot.config.configurable?.checkpoint_id as string | undefined,
      parentCheckpointId: snapshot.parentConfig?.configurable?.checkpoint_id as string | undefined,
      createdAt: snapshot.createdAt,
      metadata: snapshot.metadata as Record<string, unknown> | undefined,
    }
  }
}
