import type { AgentRunner } from '../contracts/agent_run'
import { E_NOT_FOUND } from '../errors'
import { compose, type HttpMiddleware } from '../http/compose'
import type { HttpContext } from '../http/context'
import type { HttpKernel } from '../http/kernel'
import { inputJsonSchema } from '../http/openapi'
import { normalizeAgentPath } from '../http/agent_path'
import type { MiddlewareRegistry } from '../pipeline/middleware_registry'
import type { TraceRecorder } from '../tracing/trace_recorder'
import { PlaygroundAssets } from './playground_assets'

export interface PlaygroundOptions {
  runner: AgentRunner
  /** The application's middleware: `auth` is built here when the playground needs it. */
  registry: MiddlewareRegistry<HttpMiddleware, unknown>
  /** Production: every request to the playground goes through `auth` first. */
  requiresAuth: boolean
  /** The last runs' spans; without it (OTEL_SDK_DISABLED=true) the trace API answers 404 and the page says tracing is off. */
  recorder?: TraceRecorder
  assets?: PlaygroundAssets
}

/** Where the playground lives. The page links its files relative to it. */
export const PLAYGROUND_PATH = '/_langvel'

const TRACE_ID = /^[0-9a-f]{32}$/

/**
 * The page may run its own scripts and the mermaid bundle, all from this
 * server, and talk only to it. Mermaid writes `<style>` into the SVGs it
 * draws, hence inline styles (never inline scripts).
 */
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/**
 * The development playground at /_langvel: one page (plain HTML, CSS and ES
 * modules served from the package, mermaid from node_modules) over the
 * agent API, plus two reads the agent API does not have: the routes with
 * their input and resume JSON Schemas, and recorded traces by id. Runs and
 * threads go through /agents/..., with the route's own middleware and the
 * credential the user types into the page (kept in the page only).
 *
 * @example
 * new Playground({ runner, registry, requiresAuth: false, recorder }).mount(kernel)
 */
export class Playground {
  private readonly assets: PlaygroundAssets
  private readonly handle: (ctx: HttpContext) => Promise<void>
  private routesBody?: string

  constructor(private readonly options: PlaygroundOptions) {
    this.assets = options.assets ?? new PlaygroundAssets()
    // Resolved now: a production server whose `auth` cannot be built stops at start, not on the first request.
    const guard = options.requiresAuth ? options.registry.resolve(['auth'], 'request', 'PLAYGROUND_ENABLED') : []
    this.handle = compose(guard, this.dispatch)
  }

  mount(kernel: HttpKernel): void {
    kernel.route('GET', PLAYGROUND_PATH, this.handle).prefix(`${PLAYGROUND_PATH}/`, this.handle)
  }

  private dispatch = async (ctx: HttpContext): Promise<void> => {
    const rest = ctx.path.slice(PLAYGROUND_PATH.length)
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') throw new E_NOT_FOUND(`Route ${ctx.method} ${ctx.path.slice(0, 200)}`)
    if (rest === '' || rest === '/') {
      ctx.routeTemplate = PLAYGROUND_PATH
      return this.sendAsset(ctx, 'index.html')
    }
    if (rest.startsWith('/assets/')) {
      ctx.routeTemplate = `${PLAYGROUND_PATH}/assets/:file`
      return this.sendAsset(ctx, rest.slice('/assets/'.length))
    }
    if (rest === '/api/routes') {
      ctx.routeTemplate = `${PLAYGROUND_PATH}/api/routes`
      this.routesBody ??= JSON.stringify({ routes: this.describeRoutes(), tracing: this.options.recorder !== undefined })
      return ctx.send(200, this.routesBody, 'application/json; charset=utf-8')
    }
    if (rest.startsWith('/api/traces/')) {
      ctx.routeTemplate = `${PLAYGROUND_PATH}/api/traces/:trace_id`
      return this.trace(ctx, rest.slice('/api/traces/'.length))
    }
    throw new E_NOT_FOUND(`Route ${ctx.method} ${ctx.path.slice(0, 200)}`)
  }

  private async sendAsset(ctx: HttpContext, name: string): Promise<void> {
    const asset = await this.assets.get(name)
    if (!asset) throw new E_NOT_FOUND(`Playground file ${name.slice(0, 100)}`)
    ctx.res.setHeader('Content-Security-Policy', PAGE_CSP)
    // Files change with the package, not while it runs; the page itself is always re-read.
    ctx.res.setHeader('Cache-Control', name === 'index.html' ? 'no-store' : 'no-cache')
    if (name !== 'index.html') {
      // Revalidated on each load: the browser keeps its copy (mermaid is large) while the content is the same.
      ctx.res.setHeader('ETag', asset.etag)
      if (matchesEtag(ctx.req.headers['if-none-match'], asset.etag)) {
        ctx.res.statusCode = 304
        ctx.res.end()
        return
      }
    }
    ctx.res.statusCode = 200
    ctx.res.setHeader('Content-Type', asset.contentType)
    ctx.res.setHeader('Content-Length', asset.body.length)
    ctx.res.end(ctx.method === 'HEAD' ? undefined : asset.body)
  }

  private trace(ctx: HttpContext, id: string): void {
    let trace = TRACE_ID.test(id) ? this.options.recorder?.get(id) : undefined
    // Behind auth, a trace is its run's principal's only (a run without one is nobody's); another caller learns nothing of it.
    if (trace && this.options.requiresAuth && (trace.owner === undefined || trace.owner !== ctx.principal?.id)) trace = undefined
    if (!trace) throw new E_NOT_FOUND(`Trace ${id.slice(0, 64)} (only the last runs of this process are kept)`)
    ctx.json(200, { trace_id: trace.traceId, start_time: trace.startTime, dropped_spans: trace.droppedSpans, spans: trace.spans })
  }

  private describeRoutes() {
    return this.options.runner.routes().map((route) => ({
      path: normalizeAgentPath(route.path),
      name: route.name ?? null,
      description: route.description ?? null,
      agent: route.agent,
      protected: route.middleware.some((spec) => /^auth(:|$)/.test(spec)),
      input_schema: inputJsonSchema(route.inputSchema),
      interrupts: route.interrupts.map((point) => ({
        point,
        resume_schema: route.resumeSchemas?.[point] ? inputJsonSchema(route.resumeSchemas[point]) : null,
      })),
    }))
  }
}

/** True when an If-None-Match header names `etag` (or is `*`). */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false
  return header.split(',').some((tag) => {
    const value = tag.trim()
    return value === '*' || value === etag || value === `W/${etag}`
  })
}
