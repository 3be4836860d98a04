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
  /** Spans left out once the trace held `maxSpansPerTrace` spans or `maxBytesPerTrace`. */
  droppedSpans: number
  /** The principal of its run (`enduser.id` of the run's or the request's span), when one was authenticated. */
  owner?: string
}

export interface TraceRecorderOptions {
  /** Traces of agent runs kept; the oldest is forgotten when a new one is recorded beyond it (default 50). */
  maxTraces?: number
  /** Spans kept per trace (default 1000). */
  maxSpansPerTrace?: number
  /** Approximate size of one trace's spans, in bytes, beyond which its later spans are left out (default 512 KiB). */
  maxBytesPerTrace?: number
  /** Longest string attribute value kept, in characters; longer ones are cut and marked (default 4096). */
  maxAttributeLength?: number
}

/** The attribute of an agent run's span (RunTrace): only traces holding one are kept. */
export const RUN_SPAN_ATTRIBUTE = 'langvel.run.mode'

/** Requests still running whose trace holds no run yet: bounded, the oldest forgotten first. */
const MAX_PENDING = 200
/** A span's fixed fields, roughly, in the byte budget. */
const SPAN_OVERHEAD = 200

const KINDS: Record<SpanKind, RecordedSpan['kind']> = {
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
}
const STATUSES: Record<SpanStatusCode, RecordedSpan['status']> = { [SpanStatusCode.UNSET]: 'unset', [SpanStatusCode.OK]: 'ok', [SpanStatusCode.ERROR]: 'error' }

interface Entry {
  trace: RecordedTrace
  bytes: number
}

/**
 * Keeps the last agent runs' traces of this process in memory, for a page
 * that shows a run's timeline without any collector. A span processor like
 * the exporting one: add it to the tracer provider's processors. A trace is
 * kept only once a run's span (RUN_SPAN_ATTRIBUTE) ends in it: requests that
 * run no agent (pages, health probes, reads) are forgotten when their last
 * local span ends and never push a run out. Memory is bounded by
 * `maxTraces` x `maxBytesPerTrace` (string attributes cut at
 * `maxAttributeLength`), plus a few requests in flight.
 *
 * @example
 * const recorder = new TraceRecorder({ maxTraces: 20 })
 * const tracing = new OtelTracing({ serviceName: 'dev', spanProcessors: [recorder] })
 * recorder.get(traceIdOfTheResponse)?.spans
 */
export class TraceRecorder implements SpanProcessor {
  private readonly traces = new Map<string, Entry>()
  private readonly pending = new Map<string, Entry>()
  private readonly maxTraces: number
  private readonly maxSpans: number
  private readonly maxBytes: number
  private readonly maxAttribute: number

  constructor(options: TraceRecorderOptions = {}) {
    this.maxTraces = options.maxTraces ?? 50
    this.maxSpans = options.maxSpansPerTrace ?? 1000
    this.maxBytes = options.maxBytesPerTrace ?? 512 * 1024
    this.maxAttribute = options.maxAttributeLength ?? 4096
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    const { traceId, spanId } = span.spanContext()
    const isRun = span.attributes[RUN_SPAN_ATTRIBUTE] !== undefined
    const parent = span.parentSpanContext
    // The last local span of its request: a trace that ran no agent by now is forgotten.
    const isLocalRoot = parent === undefined || parent.isRemote === true
    let entry = this.traces.get(traceId)
    if (!entry) {
      entry = this.pending.get(traceId)
      if (!entry) {
        if (isLocalRoot && !isRun) return
        entry = { trace: { traceId, startTime: hrTimeToMilliseconds(span.startTime), spans: [], droppedSpans: 0 }, bytes: 0 }
        this.pending.set(traceId, entry)
        if (this.pending.size > MAX_PENDING) this.pending.delete(this.pending.keys().next().value as string)
      }
      if (isRun) {
        this.pending.delete(traceId)
        this.traces.set(traceId, entry)
        if (this.traces.size > this.maxTraces) this.traces.delete(this.traces.keys().next().value as string)
      }
    }
    this.add(entry, span, traceId, spanId)
    if (isLocalRoot && this.pending.get(traceId) === entry) this.pending.delete(traceId)
  }

  private add(entry: Entry, span: ReadableSpan, traceId: string, spanId: string): void {
    const { trace } = entry
    const owner = span.attributes['enduser.id']
    if (trace.owner === undefined && typeof owner === 'string') trace.owner = owner
    const attributes: Record<string, AttributeValue> = {}
    let bytes = SPAN_OVERHEAD + span.name.length
    for (const [key, value] of Object.entries(span.attributes)) {
      if (value === undefined) continue
      const kept = this.bounded(value)
      attributes[key] = kept
      bytes += key.length + sizeOf(kept)
    }
    if (trace.spans.length >= this.maxSpans || entry.bytes + bytes > this.maxBytes) {
      trace.droppedSpans++
      return
    }
    entry.bytes += bytes
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
      attributes,
    })
  }

  private bounded(value: AttributeValue): AttributeValue {
    if (typeof value === 'string') return this.cut(value)
    if (Array.isArray(value)) return value.map((item) => (typeof item === 'string' ? this.cut(item) : item)) as AttributeValue
    return value
  }

  private cut(value: string): string {
    return value.length > this.maxAttribute ? `${value.slice(0, this.maxAttribute)}... (${value.length - this.maxAttribute} more characters)` : value
  }

/** One trace by id, or undefined when it was never recorded or is forgotten. */
  get(traceId: string): RecordedTrace | undefined {
    return this.traces.get(traceId)?.trace
  }

  /** The recorded traces, newest first. */
  list(): RecordedTrace[] {
    return [...this.traces.values()].map((entry) => entry.trace).reverse()
  }

  clear(): void {
    this.traces.clear()
    this.pending.clear()
  }

  forceFlush(): Promise<void> {
    return Promise.resolve()
  }

  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}

function sizeOf(value: AttributeValue): number {
  if (typeof value === 'string') return value.length
  if (Array.isArray(value)) return value.reduce<number>((total, item) => total + (typeof item === 'string' ? item.length : 8), 0)
  return 8
}
