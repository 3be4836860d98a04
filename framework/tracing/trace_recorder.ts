import { SpanKind, SpanStatusCode, type AttributeValue } from '@opentelemetry/api'
import { hrTimeToMilliseconds } from '@opentelemetry/core'
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base'

/** One finished span, as plain data (JSON-ready). */
export interface RecordedSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: 'internal' | 'server' | 'client' | 'producer' | 'consumer'
  /** Epoch milliseconds. */
  startTime: number
  durationMs: number
  status: 'unset' | 'ok' | 'error'
  attributes: Record<string, AttributeValue>
}

/** The spans of one trace this process recorded, in the order they ended. */
export interface RecordedTrace {
  traceId: string
  /** Start of its earliest span, epoch milliseconds. */
  startTime: number
  spans: RecordedSpan[]
  /** Spans left out once the trace held `maxSpansPerTrace`. */
  droppedSpans: number
}

export interface TraceRecorderOptions {
  /** Traces kept; the oldest is forgotten when a new one starts beyond it (default 50). */
  maxTraces?: number
  /** Spans kept per trace (default 1000). */
  maxSpansPerTrace?: number
}

const KINDS: Record<SpanKind, RecordedSpan['kind']> = {
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
}
const STATUSES: Record<SpanStatusCode, RecordedSpan['status']> = { [SpanStatusCode.UNSET]: 'unset', [SpanStatusCode.OK]: 'ok', [SpanStatusCode.ERROR]: 'error' }

/**
 * Keeps the last traces of this process in memory, for a page that shows a
 * run's timeline without any collector. A span processor like the exporting
 * one: add it to the tracer provider's processors. Memory is bounded by
 * `maxTraces` x `maxSpansPerTrace`.
 *
 * @example
 * const recorder = new TraceRecorder({ maxTraces: 20 })
 * const tracing = new OtelTracing({ serviceName: 'dev', spanProcessors: [recorder] })
 * recorder.get(traceIdOfTheResponse)?.spans
 */
export class TraceRecorder implements SpanProcessor {
  private readonly traces = new Map<string, RecordedTrace>()
  private readonly maxTraces: number
  private readonly maxSpans: number

  constructor(options: TraceRecorderOptions = {}) {
    this.maxTraces = options.maxTraces ?? 50
    this.maxSpans = options.maxSpansPerTrace ?? 1000
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    const { traceId, spanId } = span.spanContext()
    let trace = this.traces.get(traceId)
    if (!trace) {
      trace = { traceId, startTime: hrTimeToMilliseconds(span.startTime), spans: [], droppedSpans: 0 }
      this.traces.set(traceId, trace)
      if (this.traces.size > this.maxTraces) this.traces.delete(this.traces.keys().next().value as string)
    }
    if (trace.spans.length >= this.maxSpans) {
      trace.droppedSpans++
      return
    }
    const startTime = hrTimeToMilliseconds(span.startTime)
    trace.startTime = Math.min(trace.startTime, startTime)
    trace.spans.push({
      traceId,
      spanId,
      parentSpanId: span.parentSpanContext?.spanId,
      name: span.name,
      kind: KINDS[span.kind],
      startTime,
      durationMs: hrTimeToMilliseconds(span.duration),
      status: STATUSES[span.status.code],
      attributes: { ...span.attributes } as Record<string, AttributeValue>,
    })
  }

  /** One trace by id, or undefined when it was never recorded or is forgotten. */
  get(traceId: string): RecordedTrace | undefined {
    return this.traces.get(traceId)
  }

  /** The recorded traces, newest first. */
  list(): RecordedTrace[] {
    return [...this.traces.values()].reverse()
  }

  clear(): void {
    this.traces.clear()
  }

  forceFlush(): Promise<void> {
    return Promise.resolve()
  }

  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}
