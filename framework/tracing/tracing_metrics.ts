import { Counter, type Registry } from 'prom-client'
import { getMetrics } from '../observability/metrics'
import { perRegistry } from '../support/per_registry'

/** Why finished spans never reached the collector. A closed set, so the label stays bounded. */
export type SpanDropReason = 'queue_full' | 'export_failed'

/** The LangChain tracing backends Langvel ships (framework/tracing/tracing_backends.ts). */
export type TracingBackendName = 'langsmith' | 'langfuse'

/**
 * Span export metrics on a registry (the process-wide one by default, so they
 * appear on /metrics and are summed across cluster workers). A collector that
 * is down or slow shows here, never in request latency.
 *
 * @example
 * tracingMetrics().recordDropped('queue_full', 1)
 */
export class TracingMetrics {
  readonly exported: Counter
  readonly dropped: Counter<'reason'>
  readonly backendDropped: Counter<'backend' | 'reason'>

  constructor(readonly registry: Registry) {
    const registers = [registry]
    this.exported = new Counter({
      name: 'langvel_tracing_spans_exported_total',
      help: 'Spans the OTLP collector accepted',
      registers,
    })
    this.dropped = new Counter({
      name: 'langvel_tracing_spans_dropped_total',
      help: 'Finished spans lost by reason: queue_full (the export queue was full), export_failed (the collector refused, timed out or was unreachable)',
      labelNames: ['reason'] as const,
      registers,
    })
    this.backendDropped = new Counter({
      name: 'langvel_tracing_backend_dropped_total',
      help: 'Trace items a LangSmith or Langfuse backend never received, by backend and reason: queue_full (its bounded queue was full), export_failed (the backend refused, timed out or was unreachable). Langfuse counts spans, LangSmith run creations and updates (an upload it cannot read counts as one).',
      labelNames: ['backend', 'reason'] as const,
      registers,
    })
  }

  recordBackendDropped(backend: TracingBackendName, reason: SpanDropReason, items: number): void {
    if (items > 0) this.backendDropped.inc({ backend, reason }, items)
  }

  recordExported(spans: number): void {
    if (spans > 0) this.exported.inc(spans)
  }

  recordDropped(reason: SpanDropReason, spans: number): void {
    if (spans > 0) this.dropped.inc({ reason }, spans)
  }
}

const metricsOn = perRegistry((registry) => new TracingMetrics(registry))

/** The tracing metrics on `registry` (default: the process-wide metrics registry), created once. */
export function tracingMetrics(registry: Registry = getMetrics().registry): TracingMetrics {
  return metricsOn(registry)
}
