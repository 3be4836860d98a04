import { createServer as createNodeServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express, { type Express } from 'express'
import type { AgentRunner } from '../contracts/agent_run'
import { E_INVALID_CONFIG, E_SHUTTING_DOWN, E_VALIDATION } from '../errors'
import type { Application } from '../foundation/application'
import type { Logger } from '../logger'
import { getMetrics, type Metrics } from '../observability/metrics'
import { checkSharedRunEvents } from '../queue/queue_provider'
import type { PrivateTargetFilter } from '../support/address_guard'
import { within } from '../support/deadlines'
import { AgentRouter } from './agent_router'
import { ConcurrencyLimiter } from './concurrency_limiter'
import { answerClientErrors } from './client_error'
import { AgentsController } from './controllers/agents_controller'
import { BackgroundRunsController } from './controllers/background_runs_controller'
import { HealthController, type ServerState } from './controllers/health_controller'
import { MetricsController } from './controllers/metrics_controller'
import { RunsController } from './controllers/runs_controller'
import { ExceptionHandler } from './exception_handler'
import { defaultHealthChecks, type DefaultChecksOptions } from './health/default_checks'
import { HealthRegistry, type HealthCheck } from './health/health_registry'
import { HttpKernel } from './kernel'
import { cors, DEFAULT_METHODS, EXPOSE_HEADERS } from './middleware/cors'
import { jsonBody } from './middleware/json_body'
import { observeRequest } from './middleware/observe_request'
import { requestId } from './middleware/request_id'
import { securityHeaders } from './middleware/security_headers'
import { traceRequest } from './middleware/trace_request'
import { activeTracing } from '../tracing/tracing_runtime'
import { startPlaygroundTracing } from '../tracing/tracing_provider'
import type { MiddlewareRegistry } from '../pipeline/middleware_registry'
import { rateLimiterHealthCheck } from '../rate_limiter/health_check'
import type { HttpMiddleware } from './compose'
import { ThreadAccess } from './thread_access'
import { buildOpenApiDocument } from './openapi'
import { RunSupervisor } from './run_supervisor'
import type { McpExposeSettings } from '../mcp/types'
import { playgroundSettings } from '../playground/playground_settings'

export interface NodeTimeouts {
  /** Time allowed to send the request headers (slowloris). */
  headersMs?: number
  /** Time allowed to send the whole request, body included. */
  requestMs?: number
  /** How long an idle keep-alive connection stays open. */
  keepAliveMs?: number
}

export interface ServerOptions {
  app: Application
  runner: AgentRunner
  /** Named middleware for agent routes; defaults to the application's (container binding `middleware`). */
  middleware?: MiddlewareRegistry<HttpMiddleware, unknown>
  /** Which dependencies /health checks, plus extra checks. */
  health?: DefaultChecksOptions & { checks?: HealthCheck[] }
  metrics?: {
    /** Bearer token for /metrics; defaults to METRICS_TOKEN (config/metrics.ts). */
    token?: string
    /** Where /metrics text comes from; under node:cluster, all workers aggregated. */
    source?: () => Promise<string>
    registry?: Metrics
  }
  /** Seconds between SSE heartbeat comments. */
  heartbeatSeconds?: number
  /** Retry-After seconds sent with 503 E_OVERLOADED. */
  retryAfterSeconds?: number
  /** How long a cancelled run may take to stop before its slot is reclaimed. */
  abortGraceMs?: number
  timeouts?: NodeTimeouts
  /**
   * The agent routes as MCP tools at `mcp.path` when `mcp.http` is true
   * (`startServer`, hence `langvel serve`, passes `expose` of config/mcp.ts).
   */
  mcp?: McpExposeSettings
  /**
   * The LangGraph Platform protocol beside the agent API (docs/langgraph-api.md);
   * config/langgraph_api.ts when omitted. Needs the database (the `threads` table).
   */
  langgraphApi?: { enabled: boolean; middleware: string[] }
}

export interface ListeningAddress {
  host: string
  port: number
  url: string
}

const DEFAULT_TIMEOUTS: Required<NodeTimeouts> = { headersMs: 20_000, requestMs: 60_000, keepAliveMs: 5_000 }

/**
 * The HTTP server. Express is the transport only: it hands each request to
 * Langvel's kernel, which runs the global middleware (request id, the request
 * span when tracing is on, access log and metrics, security headers, CORS),
 * routes, and answers errors through the one exception handler. Agent runs go
 * through the RunSupervisor (concurrency limit and queue, timeout, cancellation).
 *
 * @example
 * const server = createServer({ app, runner })
 * const { url } = await server.listen()
 * process.once('SIGTERM', () => server.shutdown().then(() => app.shutdown()))
 */
export class HttpServer {
  readonly express: Express
  readonly kernel: HttpKernel
  readonly health: HealthRegistry
  readonly limiter: ConcurrencyLimiter
  readonly supervisor: RunSupervisor
  /** What stops when the server starts draining (runs of the LangGraph API waiting for their thread). */
  private readonly onDrain: Array<() => void> = []
  private readonly logger: Logger
  private readonly exceptionHandler: ExceptionHandler
  private server?: Server
  private currentState: ServerState = 'booting'
  private shuttingDown?: Promise<void>

  constructor(private readonly options: ServerOptions) {
    const { app, runner } = options
    const config = app.config.get('server')
    const debug = app.config.get('app').debug
    const metrics = options.metrics?.registry ?? getMetrics()
    this.logger = app.logger
    // A shared queue is made now, so /metrics reports its depth and workers from the start.
    if (app.bound('queue') && app.config.has('queue') && app.config.get('queue').driver !== 'sync') {
      checkSharedRunEvents(app)
      app.make('queue')
    }

    const exceptionHandler = new ExceptionHandler({ logger: this.logger, debug, retryAfterSeconds: options.retryAfterSeconds })
    this.exceptionHandler = exceptionHandler
    this.limiter = new ConcurrencyLimiter({
      maxConcurrent: config.maxConcurrentRequests,
      maxQueue: config.maxQueueSize,
      onChange: (active, queued) => metrics.setConcurrency(active, queued),
    })
    metrics.setLimits(config.maxConcurrentRequests, config.maxQueueSize)
    this.supervisor = new RunSupervisor({
      limiter: this.limiter,
      metrics,
      logger: this.logger,
      abortGraceMs: options.abortGraceMs,
      defaultTimeoutSeconds: config.agentTimeoutSeconds,
    })

    this.health = new HealthRegistry(this.logger)
    for (const check of [...defaultHealthChecks(app, options.health), ...(options.health?.checks ?? [])]) this.health.register(check)
    if (app.bound('rateLimiter')) this.health.register(rateLimiterHealthCheck(app.make('rateLimiter')))

    const langgraphApi = options.langgraphApi ?? (app.config.has('langgraph_api') ? app.config.get('langgraph_api') : undefined)
    // The LangGraph API's browser clients also PATCH and DELETE threads, and read the run id and the search pages from headers.
    const corsOptions = langgraphApi?.enabled
      ? { methods: [...DEFAULT_METHODS, 'PATCH', 'DELETE'], exposeHeaders: [...EXPOSE_HEADERS, 'Content-Location', 'X-Pagination-Next', 'X-Pagination-Total'] }
      : {}
    // The playground records runs' traces in memory: tracing is turned on for it here, in a process that serves it only.
    if (playgroundSettings(app).enabled) startPlaygroundTracing(app)
    // Tracing right after the request id: the span's trace id is the request's before anything logs.
    const tracing = activeTracing()
    this.kernel = new HttpKernel({
      logger: this.logger,
      exceptionHandler,
      middleware: [
        requestId(),
        ...(tracing ? [traceRequest(tracing)] : []),
        observeRequest({ logger: this.logger, metrics }),
        securityHeaders(),
        cors({ origins: config.corsOrigins, ...corsOptions, exposeTraceparent: tracing !== undefined }),
      ],
    })

    const mcp = options.mcp?.http ? options.mcp : undefined
    // Ownership matters once any route (or the MCP endpoint) authenticates: thread ids share one checkpointer
    // across routes, so an owned thread must be guarded on every route, not only the authenticated ones.
    const isAuth = (spec: string) => /^auth(:|$)/.test(spec)
    const authenticates =
      runner.routes().some((route) => route.middleware.some(isAuth)) ||
      Boolean(mcp?.middleware.some(isAuth)) ||
      Boolean(langgraphApi?.enabled && langgraphApi.middleware.some(isAuth))
    const threads = new ThreadAccess(() => (authenticates && app.bound('auth') ? app.make('auth').threads : undefined))
    const agents = new AgentsController(runner, threads)
    const runs = new RunsController({ runner, supervisor: this.supervisor, exceptionHandler, heartbeatSeconds: options.heartbeatSeconds ?? 15, threads })
    const registry = options.middleware ?? app.make('middleware')
    const body = jsonBody({ limit: config.maxRequestBodyBytes })
    const backgroundRuns = new BackgroundRunsController({
      runs: () => app.make('runs'),
      webhookFilter: () => runWebhookFilter(app),
      exceptionHandler,
      heartbeatSeconds: options.heartbeatSeconds ?? 15,
      logger: this.logger,
      threads,
    })
    const router = new AgentRouter({ runner, registry, body, agents, runs, backgroundRuns })
    const healthController = new HealthController(this.health, () => this.currentState)
    const metricsController = new MetricsController({
      source: options.metrics?.source ?? (() => metrics.render()),
      contentType: metrics.contentType,
      token: options.metrics?.token ?? app.config.get('metrics').token,
    })
    let openApi: string | undefined
    const appName = app.config.get('app').name

    this.kernel
      .route('GET', '/agents', agents.list)
      .route('GET', '/openapi.json', (ctx) => {
        openApi ??= JSON.stringify(buildOpenApiDocument(runner.routes(), { title: `${appName} agents API`, version: PACKAGE_VERSION }))
        ctx.send(200, openApi, 'application/json; charset=utf-8')
      })
      .route('GET', '/health/live', healthController.live)
      .route('GET', '/health/ready', healthController.ready)
      .route('GET', '/health', healthController.full)
      .route('GET', '/metrics', metricsController.show)
      .prefix('/agents/', router.handle)
    if (mcp) {
      // Loaded only when mounted: a server without the endpoint never loads the MCP SDK.
      const { McpHttpEndpoint } = require('../mcp/server/http_endpoint') as typeof import('../mcp/server/http_endpoint')
      new McpHttpEndpoint({
        expose: mcp,
        runner,
        registry,
        body,
        supervisor: this.supervisor,
        exceptionHandler,
        threads,
        origins: config.corsOrigins,
        info: { name: appName, version: PACKAGE_VERSION },
      }).mount(this.kernel)
    }

    if (langgraphApi?.enabled && app.bound('db')) {
      const { LangGraphApi, servedByLangGraphApi } = require('../langgraph_api/langgraph_api') as typeof import('../langgraph_api/langgraph_api')
      if (mcp && servedByLangGraphApi(mcp.path)) {
        throw new E_INVALID_CONFIG([`MCP_HTTP_PATH=${JSON.stringify(mcp.path)} is served by the LangGraph API: choose another path, or set LANGGRAPH_API_ENABLED=false`])
      }
      const { ThreadStore } = require('../langgraph_api/thread_store') as typeof import('../langgraph_api/thread_store')
      const db = app.make('db')
      const api = new LangGraphApi({
        middleware: langgraphApi.middleware,
        identify: authenticates,
        runner,
        registry,
        body,
        supervisor: this.supervisor,
        exceptionHandler,
        threads,
        store: new ThreadStore(() => db.connection(), db.dialect),
        heartbeatSeconds: options.heartbeatSeconds ?? 15,
        maxWaiting: config.maxQueueSize,
        background: app.bound('runs') ? () => app.make('runs') : undefined,
        checkWebhook: (url) => checkRunWebhook(app, url),
        info: { version: PACKAGE_VERSION, langgraphVersion: require('@langchain/langgraph/package.json').version },
      })
      api.mount(this.kernel)
      this.onDrain.push(() => api.stop())
    }

    const playground = playgroundSettings(app)
    if (playground.enabled) {
      // Loaded only when served: production (playground off) never loads it.
      const { Playground } = require('../playground/playground') as typeof import('../playground/playground')
      new Playground({ runner, registry, requiresAuth: playground.requiresAuth, recorder: app.bound('traceRecorder') ? app.make('traceRecorder') : undefined }).mount(this.kernel)
    }

    this.express = express()
    this.express.disable('x-powered-by')
    // Express (proxy-addr) alone decides when X-Forwarded-For/-Proto are believed; HttpContext reads its req.ip and req.protocol.
    this.express.set('trust proxy', config.trustedProxies)
    this.express.set('etag', false)
    this.express.use((req, res) => this.kernel.handle(req, res))
  }

  get state(): ServerState {
    return this.currentState
  }

  /** The Node server once listening. */
  get nodeServer(): Server | undefined {
    return this.server
  }

  /** Readiness turns green; `listen` calls it. In-process tests call it directly. */
  markReady(): void {
    if (this.currentState === 'booting') this.currentState = 'ready'
  }

  /** Listens (port 0 picks a free port) and reports ready. */
  async listen(port?: number, host?: string): Promise<ListeningAddress> {
    const config = this.options.app.config.get('server')
    const timeouts = { ...DEFAULT_TIMEOUTS, ...this.options.timeouts }
    // Node checks header and request deadlines on this interval (30 s by default): keep it a fraction of the deadline.
    const connectionsCheckingInterval = Math.min(30_000, Math.max(100, Math.floor(timeouts.headersMs / 4)))
    const server = createNodeServer({ connectionsCheckingInterval }, this.express)
    server.headersTimeout = timeouts.headersMs
    server.requestTimeout = Math.max(timeouts.requestMs, timeouts.headersMs)
    server.keepAliveTimeout = timeouts.keepAliveMs
    // What Node's parser refuses (and its timeouts) never reaches the kernel: answer it in the same JSON shape.
    answerClientErrors(server, { exceptionHandler: this.exceptionHandler, logger: this.logger })
    this.server = server
    const bindHost = host ?? config.host
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port ?? config.port, bindHost, () => {
        server.off('error', reject)
        resolve()
      })
    })
    this.markReady()
    const address = server.address() as AddressInfo
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address
    return { host: address.address, port: address.port, url: `http://${shownHost}:${address.port}` }
  }

  /**
   * Drains: readiness turns 503, no new connections are accepted, in-flight
   * requests and streams may finish within the grace period; what is left is
   * then cancelled through its run's signal and the connections closed.
   * Does not close the application's services (the caller runs `app.shutdown()`).
   */
  shutdown(graceSeconds?: number): Promise<void> {
    this.shuttingDown ??= this.drain(graceSeconds ?? this.options.app.config.get('server').shutdownGraceSeconds)
    return this.shuttingDown
  }

  private async drain(graceSeconds: number): Promise<void> {
    this.currentState = 'draining'
    this.kernel.draining = true
    for (const stop of this.onDrain) stop()
    const server = this.server
    const closed = server?.listening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve()
    server?.closeIdleConnections()
    const inFlight = this.kernel.inFlight
    if (inFlight > 0) this.logger.info('draining', { inFlight, graceSeconds })
    if (!(await within(this.kernel.idle(), graceSeconds * 1000))) {
      this.logger.warn('shutdown grace period over: cancelling what is still running', { inFlight: this.kernel.inFlight })
      this.supervisor.abortAll(new E_SHUTTING_DOWN())
      await within(this.kernel.idle(), 1000)
    }
    server?.closeAllConnections()
    await closed
    this.currentState = 'stopped'
  }
}

/**
 * Creates the HTTP server for an application and an agent runner.
 *
 * @example
 * const server = createServer({ app, runner })
 * await server.listen(8000, '127.0.0.1')
 */
export function createServer(options: ServerOptions): HttpServer {
  return new HttpServer(options)
}

const PACKAGE_VERSION: string = require('../../package.json').version

/** A background run's webhook destination, checked before the run is created: WEBHOOK_SECRET must be set, the address public or allowed. */
function checkRunWebhook(app: Application, url: string): Promise<unknown> {
  const { checkWebhookUrl } = require('../webhooks/webhook_target') as typeof import('../webhooks/webhook_target')
  return checkWebhookUrl(url, runWebhookFilter(app))
}

/** The filter webhook destinations are checked with; a 422 on the field (not retried) when this server sends no webhooks. */
function runWebhookFilter(app: Application): PrivateTargetFilter {
  if (!app.config.get('webhooks').secret) {
    throw new E_VALIDATION('This server sends no webhooks', { details: [{ path: 'webhook', message: 'WEBHOOK_SECRET is not set on this server: create the run without a webhook' }] })
  }
  return app.make('webhooks').privateTargetFilter
}
