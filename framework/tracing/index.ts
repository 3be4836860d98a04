/*
 * Tracing for applications: `traced()` for spans of their own, and the types.
 * The OpenTelemetry SDK (otel_tracing.ts) is loaded by the provider only when
 * tracing is on; import it directly where it is needed.
 */
export type { Tracing, TracedRun } from '../contracts/tracing'
export { activeTracing, setActiveTracing, clearActiveTracing } from './tracing_runtime'
export { traced } from './traced'
export { recordSpanError, setSpanErrorStacks } from './span_errors'
export { startPlaygroundTracing, tracingProvider } from './tracing_provider'
export { tracingMetrics, TracingMetrics } from './tracing_metrics'
export type { SpanDropReason } from './tracing_metrics'
export type { TracingConfig, SamplerName } from './tracing_config'
export { TraceRecorder } from './trace_recorder'
export type { RecordedSpan, RecordedTrace, TraceRecorderOptions } from './trace_recorder'
