import type { Provider } from '../contracts/provider'
import type { Application } from '../foundation/application'
import type { TracingBackend } from './tracing_backends'
import { TracingBackends, clearActiveTracingBackends, setActiveTracingBackends } from './tracing_backends'
import { tracingMetrics } from './tracing_metrics'

const owned = new WeakMap<Application, TracingBackends>()

/**
 * LangSmith and Langfuse from config/tracing_backends.ts. Off (nothing
 * loaded, nothing attached to runs) unless a backend is configured. On, the
 * agent runner adds each tracing backend's handler to the runs it traces;
 * shutdown flushes them, bounded by TRACING_BACKENDS_TIMEOUT_MS.
 *
 * @example
 * activeTracingBackends()?.attach(route, definition.trace, options)
 */
export const tracingBackendsProvider: Provider = {
  name: 'tracing_backends',
  register() {},
  boot(app: Application) {
    if (!app.config.has('tracing_backends')) return
    const config = app.config.get('tracing_backends')
    const logger = app.logger.child({ component: 'tracing_backends' })
    const metrics = tracingMetrics()
    const backends: TracingBackend[] = []
    if (config.langsmith.scope !== 'off') {
      const { LangSmithBackend } = require('./langsmith_backend') as typeof import('./langsmith_backend')
      backends.push(LangSmithBackend.create({ config: config.langsmith, timeoutMs: config.timeoutMs, metrics, logger }))
    }
    if (config.langfuse.scope !== 'off') {
      const { LangfuseBackend } = require('./langfuse_backend') as typeof import('./langfuse_backend')
      backends.push(LangfuseBackend.create({ config: config.langfuse, timeoutMs: config.timeoutMs, maxQueueSize: config.maxQueueSize, metrics, logger }))
    }
    if (backends.length === 0) return
    const active = new TracingBackends(backends, config.timeoutMs, logger)
    owned.set(app, active)
    setActiveTracingBackends(active)
    logger.debug('tracing backends on', { backends: backends.map((backend) => `${backend.name} (${backend.scope})`) })
  },
  async shutdown(app: Application) {
    const active = owned.get(app)
    if (!active) return
    owned.delete(app)
    clearActiveTracingBackends(active)
    await active.shutdown()
  },
}
