import type { HttpContext } from '../context'
import type { HealthRegistry } from '../health/health_registry'

export type ServerState = 'booting' | 'ready' | 'draining' | 'stopped'

/**
 * `/health/live` (the process answers), `/health/ready` (serving and every
 * required dependency up; 503 while booting or draining) and `/health` (every
 * check with status and latency).
 *
 * @example
 * kernel.route('GET', '/health/ready', controller.ready)
 */
export class HealthController {
  constructor(
    private readonly health: HealthRegistry,
    private readonly state: () => ServerState,
  ) {}

  live = (ctx: HttpContext): void => {
    ctx.res.setHeader('Cache-Control', 'no-store')
    ctx.json(200, { status: 'ok' })
  }

  ready = async (ctx: HttpContext): Promise<void> => {
    ctx.res.setHeader('Cache-Control', 'no-store')
    const state = this.state()
    if (state !== 'ready') return ctx.json(503, { status: state })
    const report = await this.health.run(true)
    ctx.json(report.status === 'down' ? 503 : 200, { status: report.status === 'down' ? 'unavailable' : 'ready', checks: report.checks })
  }

  full = async (ctx: HttpContext): Promise<void> => {
    ctx.res.setHeader('Cache-Control', 'no-store')
    const report = await this.health.run()
    ctx.json(report.status === 'down' ? 503 : 200, {
      status: report.status,
      state: this.state(),
      uptime_seconds: Math.round(process.uptime()),
      checks: report.checks,
    })
  }
}
