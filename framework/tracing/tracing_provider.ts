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
 * OTEL_SDK_DISABLED is not true. On, it binds `tracing`, makes it the
 * process's active tracing, and registers its tracer provider globally when
 * no other is, so spans an application makes with `@opentelemetry/api` join
 * the same traces. Each `serve --workers N` worker boots its own and exports
 * its own spans. Shutdown flushes what is pending, bounded by
 * OTEL_EXPORTER_OTLP_TIMEOUT.
 *
 * The playground (docs/playground.md) adds `traceRecorder`, the last
 * PLAYGROUND_TRACES runs' traces in memory: with an endpoint it is one more
 * span processor; without one, tracing is turned on for the recorder alone by
 * `startPlaygroundTracing` when an HTTP server mounts the playground, so
 * other commands (migrate, agent:run...) never load it.
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
    if (!config.enabled) return
    const playground = playgroundSettings(app)
    if (playground.enabled) bindRecorder(app, playground.traces)
    app.singleton('tracing', () => {
      const { OtelTracing } = require('./otel_tracing') as typeof import('./otel_tracing')
      return OtelTracing.fromConfig(config, {
        serviceName: config.serviceName ?? app.config.get('app').name,
        serviceVersion: PACKAGE_VERSION,
        logger: app.logger.child({ component: 'tracing' }),
        processors: playground.enabled ? [app.make('traceRecorder')] : [],
      })
    })
  },
  boot(app: Application) {
    if (!app.bound('tracing')) return
    activate(app)
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

/**
 * Called by the HTTP server before it builds its middleware, when it mounts
 * the playground: with no OTLP endpoint, turns tracing on with the in-memory
 * recorder as its only span processor (no exporter loaded). Does nothing when
 * tracing is already on, or when OTEL_SDK_DISABLED=true (the page then says
 * tracing is off). Shut down with the application like the provider's own.
 *
 * @example
 * if (playgroundSettings(app).enabled) startPlaygroundTracing(app)
 */
export function startPlaygroundTracing(app: Application): void {
  if (app.bound('tracing') || !app.config.has('tracing')) return
  const config = app.config.get('tracing')
  const playground = playgroundSettings(app)
  if (!playground.enabled || config.sdkDisabled) return
  bindRecorder(app, playground.traces)
  app.singleton('tracing', () => {
    const { OtelTracing, samplerFor } = require('./otel_tracing') as typeof import('./otel_tracing')
    return new OtelTracing({
      serviceName: config.serviceName ?? app.config.get('app').name,
      serviceVersion: PACKAGE_VERSION,
      resourceAttributes: config.resourceAttributes,
      spanProcessors: [app.make('traceRecorder')],
      sampler: samplerFor(config.sampler, config.samplerRatio),
      captureContent: config.captureContent,
    })
  })
  activate(app)
  // Undone at shutdown even by an application whose provider list leaves this provider out (done once either way).
  app.onShutdown(() => tracingProvider.shutdown?.(app))
}

function bindRecorder(app: Application, traces: number): void {
  app.singleton('traceRecorder', () => {
    const { TraceRecorder } = require('./trace_recorder') as typeof import('./trace_recorder')
    return new TraceRecorder({ maxTraces: traces })
  })
}

function activate(app: Application): void {
  const tracing = app.make('tracing')
  const provider = (tracing as { provider?: Parameters<typeof trace.setGlobalTracerProvider>[0] }).provider
  const globalProvider = provider ? trace.setGlobalTracerProvider(provider) : false
  owned.set(app, { tracing, globalProvider })
  setActiveTracing(tracing)
  setSpanErrorStacks(app.config.get('app').debug === true)
  app.logger.debug('tracing on')
}

const PACKAGE_VERSION: string = require('../../package.json').version
