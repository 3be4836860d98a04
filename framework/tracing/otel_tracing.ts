import { context, defaultTextMapGetter, defaultTextMapSetter, trace, type Context, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions'
import { getConfig } from '@langchain/langgraph'
import type { BaseCallbackHandler } from '@langchain/core/callbacks/base'
import type { TracedRun, Tracing } from '../contracts/tracing'
import type { Logger } from '../logger'
import { within } from '../support/deadlines'
import { BoundedExportProcessor } from './bounded_export'
import { ensureContextManager } from './context_manager'
import { GraphSpanHandler, NODE_RUN_KEY, type GraphSpanHandlerOptions } from './graph_spans'
import { recordSpanError } from './span_errors'
import type { SamplerName, TracingConfig } from './tracing_config'
import { tracingMetrics, type TracingMetrics } from './tracing_metrics'

export interface OtelTracingOptions {
  serviceName: string
  /** More resource attributes (OTEL_RESOURCE_ATTRIBUTES). */
  resourceAttributes?: Record<string, string>
  serviceVersion?: string
  /** Where finished spans go: the OTLP batch processor in production, an in-memory exporter in tests. */
  spanProcessors: SpanProcessor[]
  sampler?: Sampler
  captureContent?: boolean
  /** Bound of the flush at shutdown. */
  shutdownTimeoutMs?: number
}

const propagator = new W3CTraceContextPropagator()

/** The sampler OTEL_TRACES_SAMPLER names. */
export function samplerFor(name: SamplerName, ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler()
    case 'always_off':
      return new AlwaysOffSampler()
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio)
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() })
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) })
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() })
  }
}

/**
 * Tracing on the OpenTelemetry SDK: a tracer provider of its own (service
 * name, version and process id as resource), W3C trace context in and out, and the
 * LangGraph handler that turns nodes into spans. `fromConfig` builds the
 * production one: OTLP over HTTP behind a bounded batch processor.
 *
 * @example
 * const tracing = new OtelTracing({ serviceName: 'support', spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())] })
 * await tracing.inSpan('work', {}, async (span) => span.setAttribute('items', 3))
 */
export class OtelTracing implements Tracing {
  readonly provider: BasicTracerProvider
  readonly tracer: Tracer
  readonly captureContent: boolean

  constructor(private readonly options: OtelTracingOptions) {
    ensureContextManager()
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        ...options.resourceAttributes,
        [ATTR_SERVICE_NAME]: options.serviceName,
        ...(options.serviceVersion ? { [ATTR_SERVICE_VERSION]: options.serviceVersion } : {}),
        // Tells the workers of `serve --workers N` apart.
        'process.pid': process.pid,
      }),
      sampler: options.sampler ?? samplerFor('parentbased_always_on', 1),
      spanProcessors: options.spanProcessors,
    })
    this.tracer = this.provider.getTracer('langvel', options.serviceVersion)
    this.captureContent = options.captureContent ?? false
  }

  /**
   * OTLP over HTTP to `config.endpoint`, batched, with a bounded queue whose
   * losses are counted in `langvel_tracing_spans_dropped_total`; `processors`
   * see every span too (a TraceRecorder for a development page).
   */
  static fromConfig(
    config: TracingConfig,
    options: { serviceName: string; serviceVersion?: string; logger?: Logger; metrics?: TracingMetrics; processors?: SpanProcessor[] },
  ): OtelTracing {
    // Loaded only when tracing is on: an untraced process never loads the exporter.
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http')
    const exporter = new OTLPTraceExporter({ url: config.endpoint, headers: config.headers, timeoutMillis: config.timeoutMs })
    const processor = new BoundedExportProcessor({
      exporter,
      metrics: options.metrics ?? tracingMetrics(),
      maxQueueSize: config.maxQueueSize,
      scheduleDelayMs: config.scheduleDelayMs,
      exportTimeoutMs: config.timeoutMs,
      logger: options.logger,
    })
    return new OtelTracing({
      serviceName: options.serviceName,
      serviceVersion: options.serviceVersion,
      resourceAttributes: config.resourceAttributes,
      spanProcessors: [processor, ...(options.processors ?? [])],
      sampler: samplerFor(config.sampler, config.samplerRatio),
      captureContent: config.captureContent,
      shutdownTimeoutMs: config.timeoutMs,
    })
  }

  startSpan(name: string, options: SpanOptions = {}, parent: Context = this.parentContext()): Span {
    return this.tracer.startSpan(name, options, parent)
  }

  async inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
    const parent = this.parentContext()
    const span = this.tracer.startSpan(name, options, parent)
    try {
      return await context.with(trace.setSpan(parent, span), () => fn(span))
    } catch (error) {
      recordSpanError(span, error)
      throw error
    } finally {
      span.end()
    }
  }

  /**
   * The active context: a node of a Langvel-built graph makes its span active
   * while it runs. The exception is code running inside a LangChain run that a
   * GraphSpanHandler made a span for (a LangChain tool used directly in a
   * node, or a node of a graph Langvel did not build) whose span it is not
   * already under: LangChain keeps that run's config (not OpenTelemetry's
   * context) current, and the handler on its callbacks knows the span.
   */
  parentContext(): Context {
    const active = context.active()
    const located = handlerContext()
    if (!located) return active
    return active.getValue(NODE_RUN_KEY) === located.getValue(NODE_RUN_KEY) ? active : located
  }

  extract(headers: Record<string, string | string[] | undefined>, base: Context = context.active()): Context {
    return propagator.extract(base, headers, defaultTextMapGetter)
  }

  traceparent(span: Span): string {
    const carrier: Record<string, string> = {}
    propagator.inject(trace.setSpan(context.active(), span), carrier, defaultTextMapSetter)
    return carrier.traceparent
  }

  graphHandler(parent: Context, run: TracedRun, options?: GraphSpanHandlerOptions): BaseCallbackHandler {
    return new GraphSpanHandler(this.tracer, parent, run, options)
  }

  forceFlush(): Promise<void> {
    return this.provider.forceFlush()
  }

  /** Exports what is pending and stops; waits at most the export timeout, never throws. */
  async shutdown(): Promise<void> {
    await within(this.provider.shutdown(), this.options.shutdownTimeoutMs ?? 10_000)
  }
}

/** The context of the span a GraphSpanHandler made for the LangChain run the caller runs in, if any. */
function handlerContext(): Context | undefined {
  let config: ReturnType<typeof getConfig> | undefined
  try {
    config = getConfig()
  } catch {
    return undefined
  }
  const callbacks = config?.callbacks as { getParentRunId?: () => string | undefined; handlers?: unknown[] } | undefined
  const runId = callbacks?.getParentRunId?.()
  if (!runId || !callbacks?.handlers) return undefined
  for (const handler of callbacks.handlers) {
    if (handler instanceof GraphSpanHandler) return handler.contextOf(runId)
  }
  return undefined
}
