import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import type { AgentRunner } from '../../contracts/agent_run'
import { E_FORBIDDEN, E_INVALID_CONFIG, Exception } from '../../errors'
import type { HttpMiddleware } from '../../http/compose'
import type { HttpContext } from '../../http/context'
import type { ExceptionHandler } from '../../http/exception_handler'
import type { HttpKernel } from '../../http/kernel'
import type { RunSupervisor } from '../../http/run_supervisor'
import type { ThreadAccess } from '../../http/thread_access'
import type { MiddlewareRegistry } from '../../pipeline/middleware_registry'
import type { McpExposeSettings } from '../types'
import { createAgentMcpServer } from './agent_mcp_server'
import { AgentToolCatalog } from './agent_tools'
import { HttpCallHost, type HttpCallRules } from './http_call_host'

export interface McpHttpEndpointOptions {
  /** `expose` of config/mcp.ts: the path and the request-stage middleware in front of it. */
  expose: McpExposeSettings
  runner: AgentRunner
  /** The application's middleware: the endpoint's and each route's request-stage names are built here. */
  registry: MiddlewareRegistry<HttpMiddleware, unknown>
  /** The kernel's JSON body reader (MAX_REQUEST_BODY_BYTES, UTF-8, content type), after the endpoint's middleware. */
  body: HttpMiddleware
  supervisor: RunSupervisor
  exceptionHandler: ExceptionHandler
  threads?: ThreadAccess
  /** CORS_ORIGINS: the browser origins whose requests are served (see originGuard). */
  origins: readonly string[]
  info: { name: string; version: string }
}

/** Paths the kernel already serves; `/agents/...` is the agent API's prefix. */
const TAKEN = new Set(['/agents', '/openapi.json', '/health', '/health/live', '/health/ready', '/metrics'])
const PATH = /^(?:\/[A-Za-z0-9._~-]+)+$/

/**
 * MCP asks servers to check `Origin` against DNS rebinding: a page whose host
 * name was made to point at this server would otherwise reach it as if
 * same-origin. Requests from browsers carry `Origin` and are served only from
 * an origin CORS_ORIGINS lists; other clients send none.
 */
function originGuard(origins: readonly string[]): HttpMiddleware {
  const allowed = new Set(origins)
  return {
    name: 'mcp_origin',
    handle(ctx, next) {
      const origin = ctx.header('origin')
      if (origin !== undefined && !allowed.has('*') && !allowed.has(origin)) throw new E_FORBIDDEN()
      return next()
    },
  }
}

/** GET (a server-sent event stream) and DELETE (a session) have no meaning on a stateless endpoint. */
class MethodNotAllowed extends Exception {
  readonly headers = { Allow: 'POST' }

  constructor(method: string, path: string) {
    // The API's code for a wrong method (see docs/http-api.md); the status is the one MCP clients look for.
    super(`${method} is not allowed on ${path}: MCP clients POST their messages here (stateless, no event stream or session)`, { code: 'E_NOT_FOUND', status: 405 })
  }
}

/**
 * The agent routes as MCP tools over streamable HTTP, on the server's own
 * kernel: request id, access log and metrics, security headers, CORS and
 * the body limit apply as to every request, and errors before the MCP
 * exchange starts (403 for a browser origin CORS_ORIGINS does not list, 401
 * from `auth`, 413, 415) are the API's JSON errors.
 *
 * Stateless (no `Mcp-Session-Id`): every POST gets a fresh server and
 * transport, so any worker of `serve --workers N` answers any request, and
 * responses are plain JSON rather than an event stream (runs report no
 * progress to stream). A client cancels a call by closing its connection;
 * a `notifications/cancelled` arrives in a request of its own, which has no
 * run to stop.
 *
 * @example
 * new McpHttpEndpoint({ expose, runner, registry, body, supervisor, exceptionHandler, threads, origins, info }).mount(kernel)
 */
export class McpHttpEndpoint {
  readonly path: string
  private readonly middleware: HttpMiddleware[]
  private readonly catalog: AgentToolCatalog
  private readonly rules: HttpCallRules

  constructor(private readonly options: McpHttpEndpointOptions) {
    const { expose, registry, runner } = options
    this.path = assertMcpPath(expose.path)
    const routes = runner.routes()
    // Resolved now, like the agent routes' middleware: an unknown name or a missing JWT key stops the server's start.
    this.middleware = registry.resolve(expose.middleware, 'request', 'MCP_HTTP_MIDDLEWARE')
    const guards = new Map(routes.map((route) => [route.path, registry.resolve(route.middleware, 'request', `route ${route.path} (MCP tool)`)]))
    this.catalog = new AgentToolCatalog(routes)
    this.rules = { guards, supervisor: options.supervisor, exceptionHandler: options.exceptionHandler, threads: options.threads }
  }

  /** POST carries the MCP messages; GET and DELETE answer 405. */
  mount(kernel: HttpKernel): void {
    kernel
      .route('POST', this.path, this.post, [originGuard(this.options.origins), ...this.middleware, this.options.body])
      .route('GET', this.path, this.notAllowed)
      .route('DELETE', this.path, this.notAllowed)
  }

  private post = async (ctx: HttpContext): Promise<void> => {
    const server = createAgentMcpServer({ runner: this.options.runner, catalog: this.catalog, host: new HttpCallHost(ctx, this.rules), info: this.options.info })
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true })
    // Closing the server aborts the calls still running: the client left, or the answer is out.
    ctx.onClose(() => void server.close())
    server.onerror = (error) => ctx.logger.debug('MCP request refused by the transport', { error })
    await server.connect(transport)
    await transport.handleRequest(ctx.req, ctx.res, ctx.body)
  }

  private notAllowed = (ctx: HttpContext): never => {
    throw new MethodNotAllowed(ctx.method, this.path)
  }
}

function assertMcpPath(path: string): string {
  const problem = !PATH.test(path)
    ? 'must be a path of segments such as /mcp (no trailing slash, query or encoded characters)'
    : TAKEN.has(path) || path.startsWith('/agents/')
      ? 'is already served by the agent API, health checks or metrics'
      : undefined
  if (problem) throw new E_INVALID_CONFIG([`MCP_HTTP_PATH=${JSON.stringify(path)} ${problem}`])
  return path
}
