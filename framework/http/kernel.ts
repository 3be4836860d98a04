import type { IncomingMessage, ServerResponse } from 'node:http'
import { E_NOT_FOUND } from '../errors'
import type { Logger } from '../logger'
import { compose, type Destination, type HttpMiddleware } from './compose'
import { HttpContext } from './context'
import type { ExceptionHandler } from './exception_handler'

export interface HttpKernelOptions {
  logger: Logger
  exceptionHandler: ExceptionHandler
  /** Run on every request, in order, before routing. */
  middleware: HttpMiddleware[]
}

type Handler = (ctx: HttpContext) => Promise<void>

/**
 * The HTTP kernel: builds the context, runs the global middleware, routes and
 * hands every error to the one exception handler. Routes are exact
 * `METHOD /path` entries compiled with their middleware at startup, plus
 * prefix handlers (the agent API under /agents/) that route themselves.
 * The kernel also counts requests in flight, which graceful shutdown waits on.
 *
 * @example
 * kernel.route('GET', '/health/live', (ctx) => ctx.json(200, { status: 'ok' }))
 * http.createServer(kernel.handle)
 */
export class HttpKernel {
  private readonly routes = new Map<string, Handler>()
  private readonly prefixes: Array<{ prefix: string; handler: Destination }> = []
  private readonly pipeline: (ctx: HttpContext) => Promise<void>
  private active = 0
  private idleWaiters: Array<() => void> = []
  /** Set while draining: every response then closes its connection. */
  draining = false

  constructor(private readonly options: HttpKernelOptions) {
    this.pipeline = compose(options.middleware, (ctx) => this.dispatch(ctx))
  }

  get inFlight(): number {
    return this.active
  }

  /** Registers an exact route; `template` is what metrics and logs call it. */
  route(method: 'GET' | 'POST' | 'DELETE', path: string, handler: Destination, middleware: HttpMiddleware[] = []): this {
    const chain = compose(middleware, handler)
    this.routes.set(`${method} ${path}`, (ctx) => {
      ctx.routeTemplate = path
      return chain(ctx)
    })
    return this
  }

  /** Everything under `prefix` goes to `handler`, which sets its own route template. */
  prefix(prefix: string, handler: Destination): this {
    this.prefixes.push({ prefix, handler })
    return this
  }

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    const ctx = new HttpContext(req, res, this.options.logger)
    this.active++
    ctx.onClose(() => {
      this.active--
      if (this.active === 0 && this.idleWaiters.length > 0) {
        const waiters = this.idleWaiters
        this.idleWaiters = []
        for (const resolve of waiters) resolve()
      }
    })
    if (this.draining) res.setHeader('Connection', 'close')
    this.pipeline(ctx).catch((error) => this.options.exceptionHandler.handle(error, ctx))
  }

  /** Resolves when no request is in flight. */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  private dispatch(ctx: HttpContext): void | Promise<void> {
    const method = ctx.method === 'HEAD' ? 'GET' : ctx.method
    const exact = this.routes.get(`${method} ${ctx.path}`)
    if (exact) return exact(ctx)
    for (const { prefix, handler } of this.prefixes) {
      if (ctx.path.startsWith(prefix)) return handler(ctx)
    }
    throw new E_NOT_FOUND(`Route ${ctx.method} ${ctx.path.slice(0, 200)}`)
  }
}
