import { randomUUID } from 'node:crypto'
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint'
import type { ZodType } from 'zod'
import type {
  AgentRouteInfo,
  AgentRunner as AgentRunnerContract,
  Durability,
  RunBounds,
  RunCommand,
  RunOptions,
  RunResult,
  StreamEvent,
  StreamOptions,
  ThreadState,
} from '../contracts/agent_run'
import { E_AGENT_NOT_FOUND, E_RUNTIME, E_UNKNOWN_DRIVER } from '../errors'
import { createLogger, type Logger } from '../logger'
import { Pipeline } from '../pipeline/pipeline'
import type { MiddlewareRegistry } from '../pipeline/middleware_registry'
import { RunTrace } from '../tracing/run_trace'
import { activeTracingBackends, untracedBackends } from '../tracing/tracing_backends'
import { AgentPool, type RunnableAgent } from './agent_pool'
import { builtInRunMiddleware } from './middleware/built_ins'
import { isStreamOutcome, type AgentMiddleware, type AgentMiddlewareContext, type AgentRunMode, type AgentRunOutcome } from './middleware/types'
import type { AgentRouteDefinition } from './route_definition'
import { raceEvents, RunDeadline, stopError } from './run_deadline'

export { builtInRunMiddleware }

/** The registry the runner reads: it builds the `run` stage; the other stage's entries are only checked by name. */
export type RunMiddlewareRegistry = MiddlewareRegistry<unknown, AgentMiddleware>

export interface AgentRunnerOptions {
  /** The routes to serve, in order (`loadRoutes(file).routes()` gives them from a route file). */
  routes: Iterable<{ readonly definition: AgentRouteDefinition } | AgentRouteDefinition>
  /**
   * Named middleware; defaults to the run-stage built-ins (`logging`,
   * `validate`). The application's registry (container binding
   * `middleware`) also holds the request-stage names HTTP runs, so a route
   * naming `auth` resolves here too and is skipped: a CLI run is the trusted
   * local operator.
   */
  middleware?: RunMiddlewareRegistry
  /** Shared pool; one is created (with `resolveCheckpointer`) when omitted. */
  pool?: AgentPool
  resolveCheckpointer?: (name?: string) => BaseCheckpointSaver | undefined
  logger?: Logger
  /** AGENT_TIMEOUT: applies when neither the route nor the agent sets one. */
  defaultTimeoutSeconds?: number
  /** AGENT_DURABILITY: applies when neither the route nor the agent sets one. */
  defaultDurability?: Durability
  /** Shown as the checkpointer of agents that do not name one (the manager's default driver). */
  defaultCheckpointer?: string
  /** The checkpointer drivers there are: an agent naming another fails the boot with E_UNKNOWN_DRIVER. */
  checkpointerDrivers?: () => readonly string[]
}

interface Entry {
  definition: AgentRouteDefinition
  info: AgentRouteInfo
  run: (ctx: AgentMiddlewareContext) => Promise<AgentRunOutcome>
}

function definitionOf(route: { readonly definition: AgentRouteDefinition } | AgentRouteDefinition): AgentRouteDefinition {
  return 'definition' in route ? route.definition : route
}

function toolNames(tools: unknown): string[] {
  if (!tools) return []
  if (typeof (tools as { names?: unknown }).names === 'function') return (tools as { names(): string[] }).names()
  const list = Array.isArray(tools) ? tools : typeof (tools as { list?: unknown }).list === 'function' ? (tools as { list(): unknown[] }).list() : []
  return list.map((tool) => (typeof tool === 'string' ? tool : (tool as { name?: unknown })?.name)).filter((name): name is string => typeof name === 'string')
}

function resumeSchemas(instance: RunnableAgent): Record<string, ZodType> {
  const out: Record<string, ZodType> = {}
  for (const point of instance.interrupts ?? []) {
    const schema = zodSchema(instance.resumeSchemaAt?.(point))
    if (schema) out[point] = schema
  }
  return out
}

function zodSchema(value: unknown): ZodType | undefined {
  return value && typeof (value as ZodType).safeParse === 'function' ? (value as ZodType) : undefined
}

/**
 * Runs registered agents by route path: finds the route, takes the pooled
 * compiled agent, sends the run through the run-stage middleware (route's,
 * then agent's), and bounds it by its deadline (run_deadline.ts). The HTTP server and the CLI both run
 * agents through this class.
 *
 * Built at boot: every route's agent is instantiated (not compiled) and
 * every middleware name resolved, so a typo fails the boot, not a request.
 *
 * @example
 * const runner = new AgentRunner({
 *   routes: loadRoutes(app.codePathFor('routes', 'agents')).routes(),
 *   middleware: app.make('middleware'),
 *   resolveCheckpointer: (name) => checkpointers.use(name),
 *   logger: app.logger.child({ logger: 'agents' }),
 *   defaultTimeoutSeconds: 300,
 * })
 * const { output, threadId } = await runner.invoke('/support', { question: 'hi' }, { context })
 * for await (const event of await runner.stream('/support', input, { modes: ['updates'] })) send(event)
 */
export class AgentRunner implements AgentRunnerContract {
  readonly pool: AgentPool
  private readonly logger: Logger
  private readonly entries = new Map<string, Entry>()

  constructor(private readonly options: AgentRunnerOptions) {
    this.pool = options.pool ?? new AgentPool({ resolveCheckpointer: options.resolveCheckpointer })
    this.logger = options.logger ?? createLogger({ name: 'agents' })
    const registry = options.middleware ?? builtInRunMiddleware()
    for (const route of options.routes) {
      const definition = definitionOf(route)
      const instance = this.pool.instance(definition)
      registry.assertKnown(definition.middleware, `route ${definition.path}`)
      registry.assertKnown(instance.middleware ?? [], `agent ${definition.agent.name} (route ${definition.path})`)
      // Route middleware first (auth, throttling), then what the agent asks for; a repeat runs once.
      const specs = [...new Set([...definition.middleware, ...(instance.middleware ?? [])])]
      this.assertCheckpointer(definition, instance)
      const untraced = untracedBackends(definition.trace)
      if (untraced.length > 0) this.logger.warn('route asks for tracing backends that are not configured: its runs are not traced to them', { path: definition.path, backends: untraced })
      const stack = registry.resolve(specs, 'run', `route ${definition.path}`)
      const info = this.describe(definition, instance, specs)
      this.entries.set(definition.path, { definition, info, run: Pipeline.compose(stack, (ctx) => this.dispatch(definition, ctx)) })
    }
  }

  routes(): AgentRouteInfo[] {
    return [...this.entries.values()].map((entry) => entry.info)
  }

  route(path: string): AgentRouteInfo {
    return this.entry(path).info
  }

  async invoke(path: string, input: unknown, options: RunOptions = {}): Promise<RunResult> {
    return this.once(this.entry(path), 'invoke', input, options)
  }

  async resume(path: string, threadId: string, value: unknown, options: RunOptions = {}): Promise<RunResult> {
    return this.once(this.entry(path), 'resume', value, { ...options, threadId })
  }

  /**
   * Continues a thread from its last checkpoint (`Agent.continue`) through the
   * route's middleware, trace and deadline, like `invoke`: a run that stopped
   * before its end goes on without repeating finished steps.
   */
  async continue(path: string, threadId: string, options: RunOptions = {}): Promise<RunResult> {
    return this.once(this.entry(path), 'continue', null, { ...options, threadId })
  }

  /** Throws E_AGENT_NOT_FOUND at once; resolves when the run is accepted (see the contract), then yields its events. */
  stream(path: string, input: unknown, options: StreamOptions = {}): Promise<AsyncIterable<StreamEvent>> {
    return this.streaming(this.entry(path), 'stream', input, options)
  }

  resumeStream(path: string, threadId: string, value: unknown, options: StreamOptions = {}): Promise<AsyncIterable<StreamEvent>> {
    return this.streaming(this.entry(path), 'resume', value, { ...options, threadId })
  }

  /** Continues a thread with a LangGraph command (resume, update, goto; empty: run on from its latest checkpoint). */
  async command(path: string, threadId: string, command: RunCommand, options: RunOptions = {}): Promise<RunResult> {
    return this.once(this.entry(path), 'command', command, { ...options, threadId })
  }

  commandStream(path: string, threadId: string, command: RunCommand, options: StreamOptions = {}): Promise<AsyncIterable<StreamEvent>> {
    return this.streaming(this.entry(path), 'command', command, { ...options, threadId })
  }

  async getState(path: string, threadId: string, options?: RunOptions): Promise<ThreadState> {
    return (await this.compiled(path)).getState(threadId, options)
  }

  async getHistory(path: string, threadId: string, options?: RunOptions & { limit?: number }): Promise<ThreadState[]> {
    return (await this.compiled(path)).getHistory(threadId, options)
  }

  async graph(path: string): Promise<string> {
    return (await this.compiled(path)).toMermaid()
  }

  compiledAgent(path: string): Promise<RunnableAgent> {
    return this.compiled(path)
  }

  /** Compiles every route's graph now (server start) instead of on first request. */
  warm(): Promise<void> {
    return this.pool.warm([...this.entries.values()].map((entry) => entry.definition))
  }

  private entry(path: string): Entry {
    const entry = this.entries.get(path)
    if (!entry) throw new E_AGENT_NOT_FOUND(path)
    return entry
  }

  private compiled(path: string): Promise<RunnableAgent> {
    return this.pool.get(this.entry(path).definition)
  }

  /** Traced when tracing is on: the run's span is the parent of its nodes' spans. */
  private once(entry: Entry, mode: AgentRunMode, input: unknown, given: RunOptions): Promise<RunResult> {
    const options = this.withBackends(entry, given)
    const run = RunTrace.start(entry.info, mode, options)
    if (!run) return this.runOnce(entry, mode, input, options)
    return run.settle(
      () => this.runOnce(entry, mode, input, run.options),
      (result) => (result.interrupts.length > 0 ? 'interrupted' : 'success'),
    )
  }

  private streaming(entry: Entry, mode: AgentRunMode, input: unknown, given: StreamOptions): Promise<AsyncIterable<StreamEvent>> {
    const options = this.withBackends(entry, given)
    const run = RunTrace.start(entry.info, mode, options)
    if (!run) return this.startStream(entry, mode, input, options)
    return run.stream(() => this.startStream(entry, mode, input, run.options))
  }

  /** The run's options with the handlers of the LangSmith/Langfuse backends that trace its route. */
  private withBackends<O extends RunOptions>(entry: Entry, options: O): O {
    const backends = activeTracingBackends()
    return backends ? backends.attach(entry.info, entry.definition.trace, options) : options
  }

  private async runOnce(entry: Entry, mode: AgentRunMode, input: unknown, options: RunOptions): Promise<RunResult> {
    const deadline = options.deadline ?? new RunDeadline(entry.info.timeoutSeconds, options.signal)
    try {
      const outcome = await deadline.race(this.execute(entry, mode, false, input, options, deadline))
      if (isStreamOutcome(outcome)) throw new E_RUNTIME(`A middleware of ${entry.info.path} returned a stream to a non-streaming run`)
      return outcome
    } finally {
      if (deadline !== options.deadline) (deadline as RunDeadline).dispose()
    }
  }

  /** Runs the middleware and starts the agent's stream now; its events are read through the deadline. */
  private async startStream(entry: Entry, mode: AgentRunMode, input: unknown, options: StreamOptions): Promise<AsyncIterable<StreamEvent>> {
    const owned = options.deadline ? undefined : new RunDeadline(entry.info.timeoutSeconds, options.signal)
    const deadline = (options.deadline ?? owned) as RunBounds
    let outcome: AgentRunOutcome
    try {
      outcome = await deadline.race(this.execute(entry, mode, true, input, options, deadline))
    } catch (error) {
      owned?.dispose()
      throw error
    }
    if (!isStreamOutcome(outcome)) {
      owned?.dispose()
      throw new E_RUNTIME(`A middleware of ${entry.info.path} returned a result to a streaming run`)
    }
    return raceEvents(outcome, deadline, () => owned?.dispose())
  }

  /** Runs the route's middleware and the agent under `deadline`; a run stopped before it starts runs nothing. */
  private execute(entry: Entry, mode: AgentRunMode, streaming: boolean, input: unknown, options: StreamOptions, deadline: RunBounds): Promise<AgentRunOutcome> {
    if (deadline.signal.aborted) return Promise.reject(stopError(deadline.signal.reason))
    // Generated here (not by the agent) so every log line of the run carries it.
    const threadId = options.threadId ?? randomUUID()
    const { info, definition } = entry
    const base = this.logger
    let runLogger: Logger | undefined
    const ctx: AgentMiddlewareContext = {
      agent: info.agent,
      path: info.path,
      route: info,
      mode,
      streaming,
      input,
      options: { ...options, threadId, signal: deadline.signal, deadline, durability: options.durability ?? info.durability },
      // Built on first use: most runs log nothing beyond what the logging middleware writes.
      get logger() {
        runLogger ??= base.child({ agent: info.agent, path: info.path, threadId, ...(options.context ? { requestId: options.context.requestId } : {}) })
        return runLogger
      },
      instance: this.pool.instance(definition),
    }
    return entry.run(ctx)
  }

  /** The innermost layer: compile once (pooled), then call the agent. */
  private async dispatch(definition: AgentRouteDefinition, ctx: AgentMiddlewareContext): Promise<AgentRunOutcome> {
    const agent = await this.pool.get(definition)
    const { input, options } = ctx
    if (ctx.mode === 'command') {
      if (!agent.command || !agent.commandStream) throw new E_RUNTIME(`${ctx.agent} cannot run a command`)
      const command = input as RunCommand
      return ctx.streaming ? agent.commandStream(options.threadId, command, options) : agent.command(options.threadId, command, options)
    }
    if (ctx.mode === 'continue') {
      if (ctx.streaming || !agent.continue) throw new E_RUNTIME(`${ctx.agent} cannot continue a thread`)
      return agent.continue(options.threadId, options)
    }
    if (ctx.mode === 'resume') {
      if (!ctx.streaming) return agent.resume(options.threadId, input, options)
      if (!agent.resumeStream) throw new E_RUNTIME(`${ctx.agent} cannot stream a resumed run`)
      return agent.resumeStream(options.threadId, input, options)
    }
    return ctx.streaming ? agent.stream(input, options) : agent.invoke(input, options)
  }

  private assertCheckpointer(definition: AgentRouteDefinition, instance: RunnableAgent): void {
    const name = instance.checkpointer
    const drivers = this.options.checkpointerDrivers?.()
    if (name === undefined || !drivers || drivers.includes(name)) return
    throw new E_UNKNOWN_DRIVER('checkpointer', name, [...drivers], { details: { route: definition.path, agent: definition.agent.name, available: drivers } })
  }

  private describe(definition: AgentRouteDefinition, instance: RunnableAgent, middleware: string[]): AgentRouteInfo {
    const pool = this.pool
    const defaultDurability = this.options.defaultDurability
    // The route's current instance: an agent may know some declarations only once it compiled (Route.graph with an async factory).
    const live = () => (pool.has(definition.path) ? pool.instance(definition) : instance)
    return {
      path: definition.path,
      name: definition.name,
      description: definition.description ?? instance.description,
      agent: definition.agent.name,
      middleware,
      checkpointer: instance.checkpointer ?? this.options.defaultCheckpointer ?? 'default',
      threadNamespace: instance.threadNamespace ?? definition.path,
      timeoutSeconds: definition.timeoutSeconds ?? instance.timeoutSeconds ?? this.options.defaultTimeoutSeconds,
      get durability() {
        return definition.durability ?? live().durability ?? defaultDurability
      },
      get inputSchema() {
        return zodSchema(live().inputSchema)
      },
      interrupts: [...(instance.interrupts ?? [])],
      resumeSchemas: resumeSchemas(instance),
      tools: toolNames(instance.tools),
      ...(instance.externalGraph ? { externalGraph: true } : {}),
    }
  }
}
