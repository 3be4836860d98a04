import { ExportResultCode, type ExportResult } from '@opentelemetry/core'
import { AlwaysOffSampler, BasicTracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base'
import { Registry } from 'prom-client'
import { BoundedExportProcessor } from '../../../framework/tracing/bounded_export'
import { tracingMetrics } from '../../../framework/tracing/tracing_metrics'

/** An exporter whose answers the test gives: each export waits in `waiting` until answered. */
class ControlledExporter implements SpanExporter {
  readonly waiting: Array<{ spans: ReadableSpan[]; answer: (result: ExportResult) => void }> = []
  readonly exported: ReadableSpan[] = []

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.waiting.push({
      spans,
      answer: (result) => {
        if (result.code === ExportResultCode.SUCCESS) this.exported.push(...spans)
        done(result)
      },
    })
  }

  answerAll(result: ExportResult): void {
    for (const call of this.waiting.splice(0)) call.answer(result)
  }

  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}

async function counts(metrics: ReturnType<typeof tracingMetrics>) {
  const dropped = (await metrics.dropped.get()).values
  const of = (reason: string) => dropped.filter((value) => value.labels.reason === reason).reduce((sum, value) => sum + value.value, 0)
  return { exported: (await metrics.exported.get()).values[0]?.value ?? 0, queueFull: of('queue_full'), exportFailed: of('export_failed') }
}

function setup(maxQueueSize: number) {
  const exporter = new ControlledExporter()
  const metrics = tracingMetrics(new Registry())
  const processor = new BoundedExportProcessor({ exporter, metrics, maxQueueSize, scheduleDelayMs: 60_000, exportTimeoutMs: 60_000 })
  const provider = new BasicTracerProvider({ spanProcessors: [processor] })
  const tracer = provider.getTracer('test')
  const spans = (n: number) => {
    for (let i = 0; i < n; i++) tracer.startSpan(`span ${i}`).end()
  }
  return { exporter, metrics, processor, provider, spans }
}

describe('BoundedExportProcessor', () => {
  it('counts the spans the collector accepted', async () => {
    const { exporter, metrics, processor, spans } = setup(10)
    spans(3)
    const flushed = processor.forceFlush()
    exporter.answerAll({ code: ExportResultCode.SUCCESS })
    await flushed
    expect(exporter.exported).toHaveLength(3)
    expect(await counts(metrics)).toEqual({ exported: 3, queueFull: 0, exportFailed: 0 })
    expect(processor.queued).toBe(0)
  })

  it('drops and counts what comes beyond the queue while the collector does not answer', async () => {
    const { exporter, metrics, processor, spans } = setup(4)
    spans(4)
    void processor.forceFlush()
    // The first four are in an export the collector has not answered: the queue is full.
    spans(6)
    expect(processor.queued).toBe(4)
    expect((await counts(metrics)).queueFull).toBe(6)
    exporter.answerAll({ code: ExportResultCode.SUCCESS })
    expect(processor.queued).toBe(0)
    // Room again once the collector answered.
    spans(2)
    expect(processor.queued).toBe(2)
    expect((await counts(metrics)).queueFull).toBe(6)
  })

  it('counts the spans of a failed export as export_failed and frees their room', async () => {
    const { exporter, metrics, processor, spans } = setup(10)
    spans(5)
    const flushed = processor.forceFlush()
    exporter.answerAll({ code: ExportResultCode.FAILED, error: new Error('connect ECONNREFUSED') })
    await flushed.catch(() => undefined)
    expect(await counts(metrics)).toEqual({ exported: 0, queueFull: 0, exportFailed: 5 })
    expect(processor.queued).toBe(0)
  })

  it('ignores spans that were not sampled', async () => {
    const exporter = new ControlledExporter()
    const metrics = tracingMetrics(new Registry())
    const processor = new BoundedExportProcessor({ exporter, metrics, maxQueueSize: 1, scheduleDelayMs: 60_000, exportTimeoutMs: 60_000 })
    const tracer = new BasicTracerProvider({ sampler: new AlwaysOffSampler(), spanProcessors: [processor] }).getTracer('test')
    for (let i = 0; i < 5; i++) tracer.startSpan('unsampled').end()
    expect(processor.queued).toBe(0)
    expect((await counts(metrics)).queueFull).toBe(0)
  })
})
