import { trace } from '@opentelemetry/api'
import type { Provider } from '../contracts/provider'
import type { Tracing } from '../contracts/tracing'
import type { Application } from '../foundation/application'
import { playgroundSettings } from '../playground/playground_settings'
import { setSpanErrorStacks } from './span_errors'
import type { TraceRecorder } from './trace_recorder'
import { clearActiveTracing, setActiveTracing } from './tracing_runtime'

declare module '../foundation/application' {
  interface ContainerBindings {
    tracing: Tracing
    /** The last runs' spans in memory, bound while the playground is on (docs/playground.md). */
    traceRecorder: TraceRecorder
  }
}

const owned = new WeakMap<Application, { tracing: Tracing; globalProvider: boolean }>()

/**
 * OpenTelemetry tracing from config/tracing.ts. Off (nothing bound, nothing
 * loaded, no work per request) unless an OTLP endpoint is set and
 * OTEL_SDK_DISABLED is not true, or the playground is on: then it also binds
 * `traceRecorder`, which keeps the last PLAYGROUND_TRACES traces in memory
 * for the page (spans are exported only when an endpoint is set). On, it binds `tracing`, makes it the
 * process's active tracing, and registers its tracer provider globally when
 * no other is, so spans an application makes with `@opentelemetry/api` join
 * the same traces. Each `serve --workers N` worker boots its own and exports
 * its own spans. Shutdown flushes what is pending, bounded by
 * OTEL_EXPORTER_OTLP_TIMEOUT.
 *
 * @example
 * if (app.bound('tracing')) await app.make('tracing').forceFlush()
 */
export const tracingProvider: Provider = {
  name: 'tracing',
  register(app: Application) {
    // A project without config/tracing.ts has tracing off.
    if (!app.config.has('tracing')) return
    const config = app.config.get('tracing')
    // The playground shows each run's trace from memory: tracing is on for it even without a collector.
    const playground = playgroundSettings(app)
    if (!config.enabled && !playground.enabled) return
    if (playground.enabled) {
      app.singleton('traceRecorder', () => {
        const { TraceRecorder } = require('./trace_recorder') as typeof import('./trace_recorder')
        return new TraceRecorder({ maxTraces: playground.traces })
      })
    }
    app.singleton('tracing', () => {
      const { OtelTracing, samplerFor } = require('./otel_tracing') as typeof import('./otel_tracing')
      const serviceName = config.serviceName ?? app.config.get('app').name
      const processors = playground.enabled ? [app.make('traceRecorder')] : []
      if (!config.enabled) {
        // No endpoint: spans go to the recorder only, no exporter is loaded.
        return new OtelTracing({ serviceName, serviceVersion: PACKAGE_VERSION, resourceAttributes: config.resourceAttributes, spanProcessors: processors, sampler: samplerFor(config.sampler, config.samplerRatio) })
      }
      return OtelTracing.fromConfig(config, {
        serviceName,
        serviceVersion: PACKAGE_VERSION,
        logger: app.logger.child({ component: 'tracing' }),
        processors,
      })
    })
  },
  boot(app: Application) {
    if (!app.bound('tracing')) return
    const tracing = app.make('tracing')
    const provider = (tracing as { provider?: Parameters<typeof trace.setGlobalTracerProvider>[0] }).provider
    const globalProvider = provider ? trace.setGlobalTracerProvider(provider) : false
    owned.set(app, { tracing, globalProvider })
    setActiveTracing(tracing)
    setSpanErrorStacks(app.config.get('app').debug === true)
    app.logger.debug('tracing on')
  },
  async shutdown(app: Application) {
    const entry = owned.get(app)
    if (!entry) return
    owned.delete(app)
    if (clearActiveTracing(entry.tracing)) setSpanErrorStacks(false)
    if (entry.globalProvider) trace.disable()
    await entry.tracing.shutdown()
  },
}

const PACKAGE_VERSION: string = require('../../package.json').version
