import type { AgentRunner } from '../contracts/agent_run'
import { E_NOT_FOUND } from '../errors'
import { compose, type Destination, type HttpMiddleware } from '../http/compose'
import type { HttpContext } from '../http/context'
import type { ExceptionHandler } from '../http/exception_handler'
import type { HttpKernel } from '../http/kernel'
import type { RunSupervisor } from '../http/run_supervisor'
import type { ThreadAccess } from '../http/thread_access'
import type { MiddlewareRegistry } from '../pipeline/middleware_registry'
import type { RunService } from '../queue/run_service'
import { AssistantCatalog, AssistantsController } from './assistants'
import { BackgroundRuns } from './background_runs'
import { identify, identifyingAuth, RouteGuards } from './guards'
import { LiveRuns } from './live_runs'
import { MemoryRunStore } from './memory_run_store'
import { RunResourcesController } from './run_resources_controller'
import type { RunStore } from './run_store'
import { ProtocolRunsController } from './runs_controller'
import { ThreadGate } from './thread_gate'
import type { ThreadStore } from './thread_store'
import { ThreadsController } from './threads_controller'

export interface LangGraphApiOptions {
  /** `config/langgraph_api.ts`: the request-stage middleware in front of every endpoint. */
  middleware: string[]
  /**
   * Authenticate requests that present credentials even where no middleware
   * asks for it (true once any route authenticates), so what they create
   * belongs to their principal.
   */
  identify: boolean
  runner: AgentRunner
  /** The application's middleware: the endpoint's and each route's request-stage names are built here. */
  registry: MiddlewareRegistry<HttpMiddleware, unknown>
  /** The kernel's JSON body reader, after the endpoint's middleware. */
  body: HttpMiddleware
  supervisor: RunSupervisor
  exceptionHandler: ExceptionHandler
  threads?: ThreadAccess
  /** Where the threads are stored (the `threads` table). */
  store: ThreadStore
  /** Where the runs of stored threads are kept; in this process's memory (bounded) when not given. */
  runs?: RunStore
  heartbeatSeconds: number
  /** Background runs (the runs table and the run queue): `POST /threads/{id}/runs`, `POST /runs`. */
  background?: () => RunService
  /** Checks a run's webhook destination before the run is created. */
  checkWebhook?: (url: string) => Promise<unknown>
  /** How many `enqueue` runs may wait for their thread at once: the server's MAX_QUEUE_SIZE. */
  maxWaiting?: number
  info: { version: string; langgraphVersion: string }
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE'

/** True for a path the protocol serves: another endpoint (MCP_HTTP_PATH) there would take it over. */
export function servedByLangGraphApi(path: string): boolean {
  return path === '/ok' || path === '/info' || path === '/threads' || path === '/runs' || /^\/(assistants|threads|runs)\//.test(path)
}

interface Endpoint {
  method: Method
  template: string
  pattern: RegExp
  params: string[]
  run: (ctx: HttpContext) => Promise<void>
}

/**
 * The LangGraph Platform protocol on the server's kernel, beside the agent
 * API: assistants (the agent routes), stored threads, and runs that wait or
 * stream. Requests go through the kernel's global middleware, this
 * endpoint's middleware (LANGGRAPH_API_MIDDLEWARE), credentials when they
 * are presented, and the JSON body reader; runs and thread reads then go
 * through their route's own middleware, and runs through the RunSupervisor.
 * Errors are the API's JSON errors. See docs/langgraph-api.md.
 *
 * @example
 * new LangGraphApi({ middleware: [], identify: true, runner, registry, body, supervisor, exceptionHandler, threads, store, heartbeatSeconds: 15, info }).mount(kernel)
 */
export class LangGraphApi {
  private readonly endpoints: Endpoint[] = []
  private readonly front: HttpMiddleware[]
  private readonly runs: ProtocolRunsController

  constructor(private readonly options: LangGraphApiOptions) {
    const { registry, runner } = options
    const routes = runner.routes()
    // Resolved now, like the agent routes' middleware, from the guards they use: an app that only takes API keys needs no JWT key.
    const spec = options.identify && registry.has('auth') ? identifyingAuth([...options.middleware, ...routes.flatMap((route) => route.middleware)]) : undefined
    const auth = spec ? registry.resolve([spec], 'request', 'LANGGRAPH_API_MIDDLEWARE')[0] : undefined
    this.front = [...registry.resolve(options.middleware, 'request', 'LANGGRAPH_API_MIDDLEWARE'), identify(auth)]
    const catalog = new AssistantCatalog(routes)
    const guards = new RouteGuards(registry, routes)
    const gate = new ThreadGate({ store: options.store, catalog, runner, guards, access: options.threads })
    const assistants = new AssistantsController(catalog, runner, guards)
    const runStore = options.runs ?? new MemoryRunStore()
    const live = new LiveRuns()
    const background = options.background ? new BackgroundRuns(options.background, live, options.store) : undefined
    const threads = new ThreadsController(gate, catalog, runner, runStore, background)
    const resources = new RunResourcesController({ gate, runs: runStore, live, heartbeatSeconds: options.heartbeatSeconds, background })
    const runs = (this.runs = new ProtocolRunsController({
      runner,
      catalog,
      gate,
      guards,
      supervisor: options.supervisor,
      exceptionHandler: options.exceptionHandler,
      heartbeatSeconds: options.heartbeatSeconds,
      maxWaiting: options.maxWaiting,
      runs: runStore,
      live,
      background,
      checkWebhook: options.checkWebhook,
    }))
    this.add('POST', '/assistants/search', assistants.search)
      .add('POST', '/assistants/count', assistants.count)
      .add('GET', '/assistants/:assistant_id', assistants.show)
      .add('GET', '/assistants/:assistant_id/graph', assistants.graph)
      .add('GET', '/assistants/:assistant_id/schemas', assistants.schemas)
      .add('GET', '/assistants/:assistant_id/subgraphs', assistants.subgraphs)
      .add('GET', '/assistants/:assistant_id/subgraphs/:namespace', assistants.subgraphs)
      .add('POST', '/threads', threads.create)
      .add('POST', '/threads/search', threads.search)
      .add('POST', '/threads/count', threads.count)
      .add('GET', '/threads/:thread_id', threads.show)
      .add('PATCH', '/threads/:thread_id', threads.update)
      .add('DELETE', '/threads/:thread_id', threads.destroy)
      .add('GET', '/threads/:thread_id/state', threads.state)
      .add('POST', '/threads/:thread_id/state', threads.updateState)
      .add('POST', '/threads/:thread_id/state/checkpoint', threads.stateAtCheckpoint)
      .add('GET', '/threads/:thread_id/state/:checkpoint_id', threads.state)
      .add('GET', '/threads/:thread_id/history', threads.history)
      .add('POST', '/threads/:thread_id/history', threads.history)
      .add('POST', '/threads/:thread_id/runs', runs.create)
      .add('POST', '/threads/:thread_id/runs/wait', runs.wait)
      .add('POST', '/threads/:thread_id/runs/stream', runs.stream)
      .add('GET', '/threads/:thread_id/runs', resources.list)
      .add('GET', '/threads/:thread_id/runs/:run_id', resources.show)
      .add('DELETE', '/threads/:thread_id/runs/:run_id', resources.destroy)
      .add('POST', '/threads/:thread_id/runs/:run_id/cancel', resources.cancel, true)
      .add('GET', '/threads/:thread_id/runs/:run_id/join', resources.join)
      .add('GET', '/threads/:thread_id/runs/:run_id/stream', resources.stream)
      .add('POST', '/runs', runs.create)
      .add('POST', '/runs/wait', runs.wait)
      .add('POST', '/runs/stream', runs.stream)
      .add('GET', '/runs/:run_id/stream', resources.streamById)
  }

  /** The server drains: runs waiting for their thread (`enqueue`) give up with 503 E_SHUTTING_DOWN instead of starting. */
  stop(): void {
    this.runs.stop()
  }

  mount(kernel: HttpKernel): void {
    const { version, langgraphVersion } = this.options.info
    const info = { version, langgraph_js_version: langgraphVersion, context: 'js', flags: { assistants: true, crons: false, langsmith: false } }
    kernel
      .route('GET', '/ok', (ctx) => ctx.json(200, { ok: true }))
      .route('GET', '/info', (ctx) => ctx.json(200, info))
      .route('POST', '/threads', this.dispatch)
      .route('POST', '/runs', this.dispatch)
      .prefix('/assistants/', this.dispatch)
      .prefix('/threads/', this.dispatch)
      .prefix('/runs/', this.dispatch)
  }

  /** `bodyless`: a POST whose parameters are all in its query (a run's cancel), sent without a body by the client. */
  private add(method: Method, template: string, handler: Destination, bodyless = false): this {
    const params: string[] = []
    const source = template.replace(/:([a-z_]+)/g, (_, name: string) => {
      params.push(name)
      return '([^/]+)'
    })
    const stack = (method === 'POST' || method === 'PATCH') && !bodyless ? [...this.front, this.options.body] : this.front
    this.endpoints.push({ method, template, pattern: new RegExp(`^${source}$`), params, run: compose(stack, handler) })
    return this
  }

  private dispatch = (ctx: HttpContext): Promise<void> => {
    const method = ctx.method === 'HEAD' ? 'GET' : ctx.method
    let pathMatched = false
    for (const endpoint of this.endpoints) {
      const match = endpoint.pattern.exec(ctx.path)
      if (!match) continue
      pathMatched = true
      if (endpoint.method !== method) continue
      ctx.routeTemplate = endpoint.template
      const params: Record<string, string> = {}
      for (const [index, name] of endpoint.params.entries()) params[name] = decode(match[index + 1])
      ctx.params = params
      return endpoint.run(ctx)
    }
    throw new E_NOT_FOUND(`Route ${ctx.method} ${pathMatched ? 'with this method at ' : ''}${ctx.path.slice(0, 200)}`)
  }
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw new E_NOT_FOUND(`Route segment ${JSON.stringify(segment.slice(0, 200))}`)
  }
}
