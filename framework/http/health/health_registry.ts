import type { Logger } from '../../logger'

export interface HealthCheck {
  name: string
  /** A failing required check makes /health and /health/ready answer 503. */
  required: boolean
  /** Resolves when the dependency answers; rejects (or times out) when it does not. */
  check: () => Promise<unknown>
  timeoutMs?: number
  /** Facts shown beside the result, read after the check ran (whether it passed or not). */
  details?: () => Record<string, unknown>
}

export interface HealthCheckResult {
  status: 'ok' | 'down'
  required: boolean
  latency_ms: number
  /** A short reason (error code or "timeout"), never a connection string. */
  error?: string
  details?: Record<string, unknown>
}

export interface HealthReport {
  /** ok: all pass; degraded: only optional checks fail; down: a required check fails. */
  status: 'ok' | 'degraded' | 'down'
  checks: Record<string, HealthCheckResult>
}

const DEFAULT_TIMEOUT_MS = 2000

/**
 * Dependency checks registered by name, each run for real (a ping, a query)
 * with a timeout and its latency measured. Failures are logged in full and
 * reported to the client as a short reason only.
 *
 * @example
 * health.register({ name: 'database', required: true, check: () => db.ping() })
 * const report = await health.run()
 */
export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>()

  constructor(private readonly logger: Logger) {}

  register(check: HealthCheck): this {
    this.checks.set(check.name, check)
    return this
  }

  names(): string[] {
    return [...this.checks.keys()]
  }

  /** Runs the checks concurrently; `requiredOnly` is what readiness uses. */
  async run(requiredOnly = false): Promise<HealthReport> {
    const selected = [...this.checks.values()].filter((check) => !requiredOnly || check.required)
    const results = await Promise.all(selected.map((check) => this.runOne(check)))
    const checks: Record<string, HealthCheckResult> = {}
    let status: HealthReport['status'] = 'ok'
    selected.forEach((check, index) => {
      const result = results[index]
      checks[check.name] = result
      if (result.status === 'down') status = check.required ? 'down' : status === 'down' ? 'down' : 'degraded'
    })
    return { status, checks }
  }

  private async runOne(check: HealthCheck): Promise<HealthCheckResult> {
    const started = performance.now()
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        Promise.resolve().then(check.check),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(Object.assign(new Error(`health check "${check.name}" timed out`), { code: 'timeout' })), check.timeoutMs ?? DEFAULT_TIMEOUT_MS)
        }),
      ])
      return withDetails({ status: 'ok', required: check.required, latency_ms: elapsed(started) }, check)
    } catch (error) {
      this.logger.warn(`health check "${check.name}" failed`, { check: check.name, error: error instanceof Error ? error : new Error(String(error)) })
      return withDetails({ status: 'down', required: check.required, latency_ms: elapsed(started), error: reasonOf(error) }, check)
    } finally {
      clearTimeout(timer)
    }
  }
}

function withDetails(result: HealthCheckResult, check: HealthCheck): HealthCheckResult {
  return check.details ? { ...result, details: check.details() } : result
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100
}

/** Error codes such as ECONNREFUSED are safe to show; messages may hold hosts and credentials. */
function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^[A-Za-z0-9_.-]{1,40}$/.test(code) ? code : 'failed'
}
