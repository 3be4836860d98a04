import { TraceFlags, type Context } from '@opentelemetry/api'
import { ExportResultCode, type ExportResult } from '@opentelemetry/core'
import { BatchSpanProcessor, type ReadableSpan, type Span, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { Logger } from '../logger'
import { FailureLog } from './failure_log'
import type { TracingMetrics } from './tracing_metrics'

/** Where the processor counts what it exported and dropped (the OTLP counters, or a backend's). */
export type ExportCounts = Pick<TracingMetrics, 'recordExported' | 'recordDropped'>

export interface BoundedExportOptions {
  exporter: SpanExporter
  metrics: ExportCounts
  /** Most spans waiting for or in an export; what comes beyond is dropped and counted. */
  maxQueueSize: number
  scheduleDelayMs: number
  /** Bound of one export call. */
  exportTimeoutMs: number
  logger?: Logger
}

/**
 * The batch span processor with its queue accounted for: spans waiting to be
 * exported or in an export are counted, and once `maxQueueSize` of them are
 * pending, new spans are dropped (and counted as `queue_full`) instead of
 * queued. Spans the collector did not take count as `export_failed`. A
 * collector that is down or slow thus costs memory up to the bound and a
 * counter, never a request. The first failure is logged, and the recovery.
 *
 * @example
 * const processor = new BoundedExportProcessor({ exporter, metrics: tracingMetrics(), maxQueueSize: 2048, scheduleDelayMs: 5000, exportTimeoutMs: 10_000 })
 */
export class BoundedExportProcessor implements SpanProcessor {
  private readonly batch: BatchSpanProcessor
  private pending = 0
  private readonly failures: FailureLog

  constructor(private readonly options: BoundedExportOptions) {
    this.failures = new FailureLog(options.logger, 'trace export failed: spans are dropped until the collector answers', 'trace export recovered')
    const counted: SpanExporter = {
      export: (spans, done) => {
        let answered = false
        options.exporter.export(spans, (result) => {
          // An exporter answers once; the guard keeps the count right if one ever answered twice.
          if (answered) return
          answered = true
          this.settled(spans.length, result)
          done(result)
        })
      },
      shutdown: () => options.exporter.shutdown(),
      forceFlush: () => options.exporter.forceFlush?.() ?? Promise.resolve(),
    }
    this.batch = new BatchSpanProcessor(counted, {
      maxQueueSize: options.maxQueueSize,
      maxExportBatchSize: Math.min(512, options.maxQueueSize),
      scheduledDelayMillis: options.scheduleDelayMs,
      exportTimeoutMillis: options.exportTimeoutMs,
    })
  }

  /** Spans queued or being exported. */
  get queued(): number {
    return this.pending
  }

  onStart(span: Span, parentContext: Context): void {
    this.batch.onStart(span, parentContext)
  }

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return
    if (this.pending >= this.options.maxQueueSize) {
      this.options.metrics.recordDropped('queue_full', 1)
      return
    }
    this.pending++
    this.batch.onEnd(span)
  }

  forceFlush(): Promise<void> {
    return this.batch.forceFlush()
  }

  shutdown(): Promise<void> {
    return this.batch.shutdown()
  }

  private settled(spans: number, result: ExportResult): void {
    this.pending = Math.max(0, this.pending - spans)
    if (result.code === ExportResultCode.SUCCESS) {
      this.options.metrics.recordExported(spans)
      this.failures.succeeded()
      return
    }
    this.options.metrics.recordDropped('export_failed', spans)
    this.failures.failed({ spans, error: result.error?.message })
  }
}
