import { context, ROOT_CONTEXT } from '@opentelemetry/api'
import { ExportResultCode } from '@opentelemetry/core'
import type { BasicTracerProvider, SpanExporter } from '@opentelemetry/sdk-trace-base'
import type { BaseCallbackHandler } from '@langchain/core/callbacks/base'
import type { Serialized } from '@langchain/core/load/serializable'
import type { ChainValues } from '@langchain/core/utils/types'
import type { Logger } from '../logger'
import { within } from '../support/deadlines'
import type { LangfuseConfig } from './backends_config'
import { BoundedExportProcessor } from './bounded_export'
import { ensureContextManager } from './context_manager'
import type { BackendRun, TracingBackend } from './tracing_backends'
import type { TracingMetrics } from './tracing_metrics'

export interface LangfuseBackendOptions {
  config: LangfuseConfig
  timeoutMs: number
  maxQueueSize: number
  metrics: TracingMetrics
  logger?: Logger
  /** How often queued spans are sent. */
  scheduleDelayMs?: number
}

/**
 * Langfuse through its LangChain callback handler. Langfuse's SDK records
 * OpenTelemetry spans: they go to a tracer provider of Langfuse's own (never
 * the application's OTLP tracing, never the global provider), through
 * Langfuse's span processor, into a bounded queue exported over OTLP/HTTP to
 * `<base url>/api/public/otel/v1/traces`. Spans beyond the queue, or that
 * Langfuse does not take, are counted in
 * `langvel_tracing_backend_dropped_total{backend="langfuse"}`.
 *
 * @example
 * const backend = LangfuseBackend.create({ config, timeoutMs: 10_000, maxQueueSize: 2048, metrics: tracingMetrics() })
 * await graph.invoke(input, { callbacks: [backend.handler(run)] })
 */
export class LangfuseBackend implements TracingBackend {
  readonly name = 'langfuse' as const
  readonly scope: LangfuseConfig['scope']

  private constructor(
    private readonly options: LangfuseBackendOptions,
    private readonly provider: BasicTracerProvider,
    private readonly Handler: new (run: BackendRun) => BaseCallbackHandler,
  ) {
    this.scope = options.config.scope
  }

  static create(options: LangfuseBackendOptions): LangfuseBackend {
    // Loaded only when Langfuse is configured.
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http')
    const { BasicTracerProvider } = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base')
    const { LangfuseSpanProcessor } = require('@langfuse/otel') as typeof import('@langfuse/otel')
    const { setLangfuseTracerProvider } = require('@langfuse/tracing') as typeof import('@langfuse/tracing')
    const { CallbackHandler } = require('@langfuse/langchain') as typeof import('@langfuse/langchain')
    const { config } = options
    // Langfuse carries the trace's session, user and metadata to its spans in the active context: without a
    // context manager they would be lost. This registers the process-wide OpenTelemetry context manager (an
    // AsyncLocalStorage one) even when the application's OTLP tracing is off; it records and sends nothing itself.
    ensureContextManager()

    const auth = Buffer.from(`${config.publicKey}:${config.secretKey}`).toString('base64')
    const otlp = new OTLPTraceExporter({
      url: `${config.baseUrl}/api/public/otel/v1/traces`,
      headers: { Authorization: `Basic ${auth}`, 'x-langfuse-sdk-name': 'javascript', 'x-langfuse-public-key': config.publicKey ?? '' },
      timeoutMillis: options.timeoutMs,
    })
    const bounded = new BoundedExportProcessor({
      exporter: otlp,
      metrics: {
        recordExported: () => undefined,
        recordDropped: (reason, spans) => options.metrics.recordBackendDropped('langfuse', reason, spans),
      },
      maxQueueSize: options.maxQueueSize,
      scheduleDelayMs: options.scheduleDelayMs ?? 1000,
      exportTimeoutMs: options.timeoutMs,
      logger: options.logger,
    })
    // Langfuse's processor (trace attributes, masking) hands each finished span on at once; the bounded queue batches them.
    const handOn: SpanExporter = {
      export: (spans, done) => {
        for (const span of spans) bounded.onEnd(span)
        done({ code: ExportResultCode.SUCCESS })
      },
      shutdown: () => bounded.shutdown(),
      forceFlush: () => bounded.forceFlush(),
    }
    const processor = new LangfuseSpanProcessor({
      exporter: handOn,
      exportMode: 'immediate',
      publicKey: config.publicKey,
      secretKey: config.secretKey,
      baseUrl: config.baseUrl,
      timeout: Math.ceil(options.timeoutMs / 1000),
      // Media upload would send payloads outside the bounded queue.
      mediaUploadEnabled: false,
    })
    const provider = new BasicTracerProvider({ spanProcessors: [processor] })
    setLangfuseTracerProvider(provider)

    /** Langfuse's handler, with the trace named after the route and kept apart from the application's spans. */
    class RouteHandler extends CallbackHandler {
      private readonly rootName: string
      constructor(run: BackendRun) {
        super({
          sessionId: run.threadId,
          ...(run.principalId ? { userId: run.principalId } : {}),
          traceMetadata: {
            route: run.path,
            agent: run.agent,
            thread_id: run.threadId,
            ...(run.principalId ? { principal_id: run.principalId } : {}),
            ...(run.requestId ? { request_id: run.requestId } : {}),
          },
        })
        this.rootName = run.name
      }

      override handleChainStart(chain: Serialized, inputs: ChainValues, runId: string, parentRunId?: string, tags?: string[], metadata?: Record<string, unknown>, runType?: string, name?: string) {
        // The root is the first run whose parent is not one of this handler's own (an agent run started inside
        // another LangChain run has a parent it never saw): it starts the trace, with the route's name and metadata.
        const ownParent = parentRunId !== undefined && (this as unknown as { runMap: Map<string, unknown> }).runMap.has(parentRunId)
        if (ownParent) return super.handleChainStart(chain, inputs, runId, parentRunId, tags, metadata, runType, name)
        // The root starts from an empty context: Langfuse's trace never joins (or writes attributes onto) an application span.
        return context.with(ROOT_CONTEXT, () => super.handleChainStart(chain, inputs, runId, undefined, tags, metadata, runType, this.rootName))
      }
    }
    return new LangfuseBackend(options, provider, RouteHandler)
  }

  handler(run: BackendRun): BaseCallbackHandler {
    return new this.Handler(run)
  }

  async shutdown(timeoutMs: number): Promise<void> {
    const { setLangfuseTracerProvider, getLangfuseTracerProvider } = require('@langfuse/tracing') as typeof import('@langfuse/tracing')
    const { BasicTracerProvider } = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base')
    // Without a provider of its own, Langfuse would use the global one (the application's OTLP tracing): spans
    // of runs still finishing go to a provider with no processor instead, and are dropped.
    if (getLangfuseTracerProvider() === this.provider) setLangfuseTracerProvider(new BasicTracerProvider())
    await within(this.provider.shutdown(), timeoutMs)
  }
}
