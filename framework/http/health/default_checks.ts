import type { Application } from '../../foundation/application'
import type { HealthCheck } from './health_registry'

export type DependencyRequirement = 'required' | 'optional' | 'off'

export interface DefaultChecksOptions {
  /** The database check runs when `db` is bound; required unless said otherwise. */
  database?: DependencyRequirement
  /**
   * Redis is checked only when something depends on it. Defaults to required
   * when requests cannot be served without it (the checkpointer driver or
   * AUTH_STORE is redis), off otherwise; pass `required` or `optional` when a
   * cache uses Redis. A Redis rate limiter has its own check (`rate_limiter`).
   */
  redis?: DependencyRequirement
  /** The default checkpointer driver, read through for real; required unless said otherwise. */
  checkpointer?: DependencyRequirement
  /**
   * The vector store's heartbeat (`vector_store`). Defaults to required when
   * CHROMA_URL is set (the application points at a Chroma it relies on),
   * optional with a managed local Chroma (which the check never starts: it
   * reports ok until RAG is first used), off in production without
   * CHROMA_URL, where RAG cannot be used.
   */
  vectorStore?: DependencyRequirement
}

/**
 * The framework's dependency checks, built from what the application has
 * bound. Nothing is connected here: each check opens its connection on first
 * run, through the same manager the application uses.
 *
 * @example
 * for (const check of defaultHealthChecks(app, { redis: 'required' })) health.register(check)
 */
export function defaultHealthChecks(app: Application, options: DefaultChecksOptions = {}): HealthCheck[] {
  const checks: HealthCheck[] = []
  const database = options.database ?? 'required'
  if (database !== 'off' && app.bound('db')) {
    checks.push({ name: 'database', required: database === 'required', check: () => app.make('db').ping() })
  }
  const redis = options.redis ?? (checkpointerDriver(app) === 'redis' || authStore(app) === 'redis' ? 'required' : 'off')
  if (redis !== 'off' && app.bound('redis')) {
    checks.push({ name: 'redis', required: redis === 'required', check: () => app.make('redis').ping() })
  }
  const checkpointer = options.checkpointer ?? 'required'
  if (checkpointer !== 'off' && app.bound('checkpointer')) {
    checks.push({ name: 'checkpointer', required: checkpointer === 'required', check: () => app.make('checkpointer').ping() })
  }
  const vectorStore = options.vectorStore ?? vectorStoreRequirement(app)
  if (vectorStore !== 'off' && app.bound('rag')) {
    checks.push({ name: 'vector_store', required: vectorStore === 'required', check: () => app.make('rag').ping({ startManaged: false }) })
  }
  // Background runs on Redis (QUEUE_DRIVER=bullmq) cannot be accepted while it is down.
  if (app.bound('queue') && app.config.has('queue') && app.config.get('queue').driver === 'bullmq') {
    checks.push({ name: 'queue', required: true, check: () => app.make('queue').ping() })
  }
  if (app.bound('mcp') && app.config.has('mcp')) checks.push(...mcpChecks(app))
  return checks
}

/**
 * One check per MCP server (`mcp:<name>`): a ping, which starts a server that
 * is not running. A server declared `required` counts for readiness.
 */
function mcpChecks(app: Application): HealthCheck[] {
  const mcp = app.make('mcp')
  return mcp.names().map((name) => {
    const server = mcp.server(name)
    return {
      name: `mcp:${name}`,
      required: server.config.required,
      timeoutMs: Math.min(server.config.callTimeoutMs, 5000),
      check: () => server.ping(),
      details: () => {
        const report = server.report()
        return { status: report.status, tools: report.tools.length, restarts: report.restarts }
      },
    }
  })
}

function vectorStoreRequirement(app: Application): DependencyRequirement {
  if (!app.config.has('rag')) return 'off'
  if (app.config.get('rag').chroma.url) return 'required'
  return app.isProduction ? 'off' : 'optional'
}

function checkpointerDriver(app: Application): string | undefined {
  return app.config.has('checkpointer') ? app.config.get('checkpointer').default : undefined
}

function authStore(app: Application): string | undefined {
  return app.bound('auth') && app.config.has('auth') ? app.config.get('auth').store : undefined
}
