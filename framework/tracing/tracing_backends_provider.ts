import type { Provider } from '../contracts/provider'
import type { Application } from '../foundation/application'
import { langchainTracingConflict } from './backends_config'
import type { TracingBackend } from './tracing_backends'
import { TracingBackends, clearTracingBackendsResolver, setTracingBackendsResolver } from './tracing_backends'

const owned = new WeakMap<Application, { backends: TracingBackends; resolve: () => TracingBackends }>()

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
    const conflict = langchainTracingConflict(config)
    if (conflict) {
      logger.warn(
        `${conflict}=true in the process environment turns on LangChain's own LangSmith tracer, which traces every LangChain run Langvel does not trace to LangSmith (without route names, Langvel's metadata or bounds); Langvel's settings say LangSmith is not on for every route`,
        { variable: conflict, langsmith: config.langsmith.scope },
      )
    }
    if (config.langsmith.scope === 'off' && config.langfuse.scope === 'off') return
    // Loaded only when a backend is on.
    const { tracingMetrics } = require('./tracing_metrics') as typeof import('./tracing_metrics')
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
    const active = new TracingBackends(backends, config.timeoutMs, logger)
    const resolve = () => active
    owned.set(app, { backends: active, resolve })
    setTracingBackendsResolver(resolve)
    logger.debug('tracing backends on', { backends: backends.map((backend) => `${backend.name} (${backend.scope})`) })
  },
  async shutdown(app: Application) {
    const entry = owned.get(app)
    if (!entry) return
    owned.delete(app)
    clearTracingBackendsResolver(entry.resolve)
    await entry.backends.shutdown()
  },
}
