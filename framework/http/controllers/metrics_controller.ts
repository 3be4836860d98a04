import { timingSafeEqual } from 'node:crypto'
import { E_UNAUTHORIZED } from '../../errors'
import type { HttpContext } from '../context'

export interface MetricsControllerOptions {
  /** The Prometheus text to serve: this process's, or all workers' under node:cluster. */
  source: () => Promise<string>
  contentType: string
  /** When set, scrapes must send `Authorization: Bearer <token>`. */
  token?: string
}

/**
 * `GET /metrics` in Prometheus text format, optionally behind a bearer token
 * (compared in constant time).
 *
 * @example
 * kernel.route('GET', '/metrics', new MetricsController({ source, contentType, token }).show)
 */
export class MetricsController {
  private readonly expected?: Buffer

  constructor(private readonly options: MetricsControllerOptions) {
    this.expected = options.token ? Buffer.from(`Bearer ${options.token}`) : undefined
  }

  show = async (ctx: HttpContext): Promise<void> => {
    if (this.expected && !this.authorized(ctx.header('authorization'))) {
      ctx.res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"')
      throw new E_UNAUTHORIZED()
    }
    ctx.res.setHeader('Cache-Control', 'no-store')
    ctx.send(200, await this.options.source(), this.options.contentType)
  }

  private authorized(header: string | undefined): boolean {
    if (!header || !this.expected) return false
    const given = Buffer.from(header)
    return given.length === this.expected.length && timingSafeEqual(given, this.expected)
  }
}
