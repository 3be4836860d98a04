import { randomUUID } from 'node:crypto'
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint'
import type { ZodType } from 'zod'
import type {
  AgentRouteInfo,
  AgentRunner as AgentRunnerContract,
  RunOptions,
  RunResult,
  StreamEvent,
  StreamOptions,
  ThreadState,
} from '../contracts/agent_run'
import { E_ABORTED, E_AGENT_NOT_FOUND, E_RUNTIME, E_TIMEOUT, E_UNKNOWN_DRIVER, E_UNKNOWN_MIDDLEWARE, isException } from '../errors'
import { createLogger, type Logger } from '../logger'
import { Pipeline } from '../pipeline/pipeline'
import type { RouteDefinition } from '../routing/agent_route'
import type { Router } from '../routing/router'
import { AgentPool, type RunnableAgent } from './agent_pool'
import { createAgentMiddlewareRegistry } from './middleware/agent_middleware_registry'
import type { MiddlewareRegistry } from './middleware/middleware_registry'
import { parseMiddleware } from './middleware/parse_middleware'
import { isStreamOutcome, type AgentMiddleware, type AgentMiddlewareContext, type AgentRunMode, type AgentRunOutcome } from './middleware/types'

export interface AgentRunnerOptions {
  router: Router
  /** Named agent middleware; defaults to the built-ins (`logging`, `validate`). */
  middleware?: MiddlewareRegistry<AgentMiddleware>
  /** Shared pool; one is created (with `resolveCheckpointer`) when omitted. */
  pool?: AgentPool
  resolveCheckpointer?: (name?: string) => BaseCheckpointSaver | undefined
  logger?: Logger
  /** AGENT_TIMEOUT: applies when neither the route nor the agent sets one. */
  defaultTimeoutSeconds?: number
  /** Shown as the checkpointer of agents that do not name one (the manager's default driver). */
  defaultCheckpointer?: string
  /** The checkpointer drivers there are: an agent naming another fails the boot with E_UNKNOWN_DRIVER. */
  checkpointerDrivers?: () => readonly string[]
  /**
   * Route middleware the transport runs before the runner is reached (HTTP:
   * `auth`, `can`, `throttle`). Accepted on routes and shown by route:list,
   * but not run here: the CLI runs agents as the trusted local system.
   */
  transportMiddleware?: readonly string[]
}

interface Entry {
  definition: RouteDefinition
  info: AgentRouteInfo
  run: (ctx: AgentMiddlewareContext) => Promise<AgentRunOutcome>
}

const MAX_TIMER_MS = 2_147_483_647

/** The error a stopped run surfaces as: the runner's own E_TIMEOUT, or E_ABORTED for the caller's cancel. */
function stopError(reason: unknown): Error {
  if (isException(reason)) return reason
  const text = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'cancelled by the caller'
  return new E_ABORTED(text, { cause: reason })
}

/** What bounds one run: the signal the agent gets, and how the runner waits for work under it. */
interface RunBounds {
  readonly signal: AbortSignal | undefined
  race<T>(work: Promise<T>): Promise<T>
  dispose(): void
}

/**
 * Bounds one run: links the caller's signal, adds the route's timeout, and
 * lets the runner stop waiting the moment either fires, even if the agent
 * does not honour its signal.
 */
class RunDeadline implements RunBounds {
  private readonly controller = new AbortController()
  private readonly timer?: NodeJS.Timeout
  private readonly stopped: Promise<never>
  private readonly onParentAbort = () => this.controller.abort(this.parent?.reason)

  constructor(
    private readonly parent: AbortSignal | undefined,
    seconds: number | undefined,
  ) {
    if (parent?.aborted) this.controller.abort(parent.reason)
    else parent?.addEventListener('abort', this.onParentAbort, { once: true })
    // Beyond setTimeout's 32-bit range Node would fire at once; such a deadline is no deadline.
    if (seconds && seconds * 1000 <= MAX_TIMER_MS && !this.controller.signal.aborted) {
      this.timer = setTimeout(() => this.controller.abort(new E_TIMEOUT(seconds)), seconds * 1000)
      this.timer.unref()
    }
    const signal = this.controller.signal
    this.stopped = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(stopError(signal.reason))
      else signal.addEventListener('abort', () => reject(stopError(signal.reason)), { once: true })
    })
    this.stopped.catch(() => undefined)
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  race<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.stopped])
  }

  dispose(): void {
    clearTimeout(this.timer)
    this.parent?.removeEventListener('abort', this.onParentAbort)
  }
}

/** A supervised run (RunOptions.supervised): the caller's signal and race are the bounds; nothing is added per run. */
function callerBounds(signal: AbortSignal | undefined): RunBounds {
  // Methods, not arrow properties: tsx would define each arrow's name on every call.
  return {
    signal,
    race(work) {
      return work
    },
    dispose() {},
  }
}

function boundsOf(options: RunOptions, seconds: number | undefined): RunBounds {
  return options.supervised && options.signal ? callerBounds(options.signal) : new RunDeadline(options.signal, seconds)
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
 * compiled agent, sends the run through route then agent middleware, and
 * bounds it by the route's timeout. The HTTP server and the CLI both run
 * agents through this class.
 *
 * Built at boot: every route's agent is instantiated (not compiled) and
 * every middleware name resolved, so a typo fails the boot, not a request.
 *
 * @example
 * const runner = new AgentRunner({
 *   router: loadRoutes(app.codePathFor('routes', 'agents')),
 *   middleware: createAgentMiddlewareRegistry(agentMiddleware),
 *   resolveCheckpointer: (name) => checkpointers.use(name),
 *   logger: app.logger.child({ logger: 'agents' }),
 *   defaultTimeoutSeconds: 300,
 * })
 * const { output, threadId } = await runner.invoke('/support', { question: 'hi' }, { context })
 * for await (const event of runner.stream('/support', input, { modes: ['updates'] })) send(event)
 */
export class AgentRunner implements AgentRunnerContract {
  readonly pool: AgentPool
  private readonly logger: Logger
  private readonly entries = new Map<string, Entry>()

  constructor(private readonly options: AgentRunnerOptions) {
    this.pool = options.pool ?? new AgentPool({ resolveCheckpointer: options.resolveCheckpointer })
    this.logger = options.logger ?? createLogger({ name: 'agents' })
    const registry = options.middleware ?? createAgentMiddlewareRegistry()
    for (const route of options.router.routes()) {
      const definition = route.definition
      const instance = this.pool.instance(definition)
      // Route middleware first (auth, throttling), then what the agent asks for; a repeat runs once.
      const specs = [...new Set([...definition.middleware, ...(instance.middleware ?? [])])]
      const transport = new Set(options.transportMiddleware ?? [])
      const isTransport = (spec: string) => definition.middleware.includes(spec) && transport.has(parseMiddleware(spec).name)
      for (const spec of specs) {
        const { name } = parseMiddleware(spec)
        if (isTransport(spec)) continue
        if (!registry.has(name)) {
          const source = definition.middleware.includes(spec) ? 'route' : `agent ${definition.agent.name}`
          throw new E_UNKNOWN_MIDDLEWARE(name, registry.names(), { details: { spec, route: definition.path, source } })
        }
      }
      this.assertCheckpointer(definition, instance)
      const stack = specs.filter((spec) => !isTransport(spec)).map((spec) => registry.resolve(spec))
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

  /** Throws E_AGENT_NOT_FOUND immediately; middleware and agent errors surface on the first iteration. */
  stream(path: string, input: unknown, options: StreamOptions = {}): AsyncIterable<StreamEvent> {
    return this.streaming(this.entry(path), 'stream', input, options)
  }

  resumeStream(path: string, threadId: string, value: unknown, options: StreamOptions = {}): AsyncIterable<StreamEvent> {
    return this.streaming(this.entry(path), 'resume', value, { ...options, threadId })
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

  private async once(entry: Entry, mode: AgentRunMode, input: unknown, options: RunOptions): Promise<RunResult> {
    const deadline = boundsOf(options, entry.info.timeoutSeconds)
    try {
      const outcome = await deadline.race(this.execute(entry, mode, false, input, options, deadline))
      if (isStreamOutcome(outcome)) throw new E_RUNTIME(`A middleware of ${entry.info.path} returned a stream to a non-streaming run`)
      return outcome
    } finally {
      deadline.dispose()
    }
  }

  private async *streaming(entry: Entry, mode: AgentRunMode, input: unknown, options: StreamOptions): AsyncGenerator<StreamEvent> {
    const deadline = boundsOf(options, entry.info.timeoutSeconds)
    let iterator: AsyncIterator<StreamEvent> | undefined
    try {
      const outcome = await deadline.race(this.execute(entry, mode, true, input, options, deadline))
      if (!isStreamOutcome(outcome)) throw new E_RUNTIME(`A middleware of ${entry.info.path} returned a result to a streaming run`)
      iterator = outcome[Symbol.asyncIterator]()
      for (;;) {
        const step = await deadline.race(iterator.next())
        if (step.done) return
        yield step.value
      }
    } finally {
      deadline.dispose()
      // Lets inner generators (logging, the graph stream) run their cleanup; not awaited,
      // because an agent that ignores its signal may never settle its pending step.
      if (iterator?.return) Promise.resolve(iterator.return()).catch(() => undefined)
    }
  }

  private execute(entry: Entry, mode: AgentRunMode, streaming: boolean, input: unknown, options: StreamOptions, deadline: RunBounds): Promise<AgentRunOutcome> {
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
      options: { ...options, threadId, signal: deadline.signal },
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
  private async dispatch(definition: RouteDefinition, ctx: AgentMiddlewareContext): Promise<AgentRunOutcome> {
    const agent = await this.pool.get(definition)
    const { input, options } = ctx
    if (ctx.mode === 'resume') {
      if (!ctx.streaming) return agent.resume(options.threadId, input, options)
      if (!agent.resumeStream) throw new E_RUNTIME(`${ctx.agent} cannot stream a resumed run`)
      return agent.resumeStream(options.threadId, input, options)
    }
    return ctx.streaming ? agent.stream(input, options) : agent.invoke(input, options)
  }

  private assertCheckpointer(definition: RouteDefinition, instance: RunnableAgent): void {
    const name = instance.checkpointer
    const drivers = this.options.checkpointerDrivers?.()
    if (name === undefined || !drivers || drivers.includes(name)) return
    throw new E_UNKNOWN_DRIVER('checkpointer', name, [...drivers], { details: { route: definition.path, agent: definition.agent.name, available: drivers } })
  }

  private describe(definition: RouteDefinition, instance: RunnableAgent, middleware: string[]): AgentRouteInfo {
    return {
      path: definition.path,
      name: definition.name,
      description: definition.description ?? instance.description,
      agent: definition.agent.name,
      middleware,
      checkpointer: instance.checkpointer ?? this.options.defaultCheckpointer ?? 'default',
      timeoutSeconds: definition.timeoutSeconds ?? instance.timeoutSeconds ?? this.options.defaultTimeoutSeconds,
      inputSchema: zodSchema(instance.inputSchema),
      interrupts: [...(instance.interrupts ?? [])],
      resumeSchemas: resumeSchemas(instance),
      tools: toolNames(instance.tools),
    }
  }
}
