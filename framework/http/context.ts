import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TLSSocket } from 'node:tls'
import type { AgentRouteInfo } from '../contracts/agent_run'
import type { Principal, RequestContext } from '../contracts/request_context'
import type { Logger } from '../logger'

/**
 * What Express adds to the request it hands over: the client's address and
 * scheme under its `trust proxy` setting (TRUSTED_PROXIES), so forwarded
 * headers count only when a trusted proxy sent them.
 */
interface ProxiedRequest {
  readonly ip?: string
  readonly protocol?: string
}

/** The route template used when nothing matched: keeps metric labels bounded. */
export const UNMATCHED_ROUTE = '<unmatched>'

/**
 * One HTTP request on its way through the kernel. Middleware read and extend
 * it (`principal` is set by authentication, `body` by the JSON body reader),
 * controllers answer through it. Express objects stay inside; nothing past the
 * kernel needs to know Express is the transport.
 *
 * @example
 * ctx.json(200, { ok: true })
 * ctx.logger.info('resumed', { threadId })
 */
export class HttpContext {
  requestId = ''
  traceId = ''
  /** The matched route template (`/agents/:path`); used for metrics and the access log. */
  routeTemplate = UNMATCHED_ROUTE
  params: Record<string, string> = {}
  body: unknown = undefined
  principal?: Principal
  /** The agent route a request under /agents/ resolved to. */
  agent?: AgentRouteInfo
  /** The error the exception handler answered with, for the access log. */
  error?: { code: string; status: number }
  readonly startedAt = performance.now()
  readonly method: string
  /** The request target without the query string, exactly as received (not decoded). */
  readonly path: string
  readonly query: string
  /**
   * The client's IP: the peer's address, or the address a trusted proxy
   * forwarded. What throttles count, the access log records and runs see.
   */
  readonly ip: string | undefined
  /** `http` or `https` as the client used it (a trusted proxy's X-Forwarded-Proto). */
  readonly protocol: string
  private childLogger?: Logger
  private disconnect?: AbortController
  private closeHooks: Array<() => void> = []

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    private readonly baseLogger: Logger,
  ) {
    this.method = req.method ?? 'GET'
    const url = req.url ?? '/'
    const mark = url.indexOf('?')
    this.path = mark === -1 ? url : url.slice(0, mark)
    this.query = mark === -1 ? '' : url.slice(mark + 1)
    // Read now: once the socket is gone Node no longer knows the peer's address. A request
    // that did not come through Express (a bare Node server) has only its peer.
    const proxied = req as IncomingMessage & ProxiedRequest
    this.ip = proxied.ip ?? req.socket.remoteAddress
    this.protocol = proxied.protocol ?? ((req.socket as Partial<TLSSocket>).encrypted ? 'https' : 'http')
    // One listener per request, whatever needs to know: the kernel's in-flight count,
    // the access log, a run's disconnect cancel.
    res.on('close', () => this.runCloseHooks())
  }

  /**
   * Calls `hook` once, when the response closes: after it finished, or when
   * the client went away first (`clientGone` tells which). Hooks run in the
   * order they were added; one that throws does not stop the others.
   */
  onClose(hook: () => void): void {
    this.closeHooks.push(hook)
  }

  /** True once the connection closed before the response was complete. */
  get clientGone(): boolean {
    const res = this.res
    if (res.writableFinished) return false
    return res.destroyed || this.req.socket.destroyed
  }

  /** A logger whose lines carry the request and trace ids; created only if something logs. */
  get logger(): Logger {
    this.childLogger ??= this.baseLogger.child({ requestId: this.requestId, traceId: this.traceId })
    return this.childLogger
  }

  /** Aborted when the client goes away before the response is complete. */
  get clientSignal(): AbortSignal {
    if (!this.disconnect) {
      const controller = new AbortController()
      this.disconnect = controller
      if (this.res.writableEnded) return controller.signal
      // The client may already be gone (it left while its body was being read).
      if (this.clientGone) {
        controller.abort()
        return controller.signal
      }
      this.onClose(() => {
        if (!this.res.writableFinished) controller.abort()
      })
    }
    return this.disconnect.signal
  }

  /** The read-only request facts handed to agent runs (never taken from the body). */
  requestContext(): RequestContext {
    return Object.freeze({
      requestId: this.requestId,
      traceId: this.traceId,
      principal: this.principal,
      ip: this.ip,
    })
  }

  header(name: string): string | undefined {
    const value = this.req.headers[name]
    return Array.isArray(value) ? value[0] : value
  }

  searchParam(name: string): string | null {
    return this.query ? new URLSearchParams(this.query).get(name) : null
  }

  /** Writes a JSON response in one call: no ETag, no content negotiation. */
  json(status: number, body: unknown): void {
    this.send(status, JSON.stringify(body), 'application/json; charset=utf-8')
  }

  send(status: number, payload: string, contentType: string): void {
    const res = this.res
    res.statusCode = status
    res.setHeader('Content-Type', contentType)
    res.setHeader('Content-Length', Buffer.byteLength(payload))
    res.end(this.method === 'HEAD' ? undefined : payload)
  }

  private runCloseHooks(): void {
    const hooks = this.closeHooks
    this.closeHooks = []
    for (const hook of hooks) {
      try {
        hook()
      } catch (error) {
        this.logger.error('response close hook failed', error as Error)
      }
    }
  }
}
