import { defineConfig, type ConfigProblem } from '../framework/config/define_config'
import { env } from '../framework/config/env'
import { otlpHeaderProblem, parseOtlpHeaders, SAMPLERS, tracesEndpoint, type TracingConfig } from '../framework/tracing/tracing_config'

/**
 * OpenTelemetry tracing, read from the standard OTEL_* environment. Off until
 * an OTLP endpoint is set; OTEL_SDK_DISABLED=true turns it off whatever else
 * is set. See docs/observability.md.
 */
export default defineConfig({
  env: {
    OTEL_SDK_DISABLED: env.boolean(false),
    /** The collector's base URL; traces go to `<endpoint>/v1/traces` (OTLP over HTTP, protobuf). */
    OTEL_EXPORTER_OTLP_ENDPOINT: env.url(['http', 'https']).optional(),
    /** The full traces URL, used as is; wins over OTEL_EXPORTER_OTLP_ENDPOINT. */
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: env.url(['http', 'https']).optional(),
    /** `key=value` pairs separated by commas, values URL-encoded: `Authorization=Bearer%20abc,x-tenant=acme`. */
    OTEL_EXPORTER_OTLP_HEADERS: env.optionalString().refine((value) => value === undefined || otlpHeaderProblem(value) === undefined, {
      message: 'expected key=value pairs separated by commas',
    }),
    OTEL_EXPORTER_OTLP_TIMEOUT: env.integer(10_000, 100, 600_000),
    /** Defaults to APP_NAME. */
    OTEL_SERVICE_NAME: env.optionalString(),
    /** More resource attributes, `key=value` pairs separated by commas: `deployment.environment.name=staging,service.namespace=support`. */
    OTEL_RESOURCE_ATTRIBUTES: env.optionalString().refine((value) => value === undefined || otlpHeaderProblem(value) === undefined, {
      message: 'expected key=value pairs separated by commas',
    }),
    OTEL_TRACES_SAMPLER: env.enum(SAMPLERS, 'parentbased_always_on'),
    /** The ratio of the traceidratio samplers, from 0 to 1. */
    OTEL_TRACES_SAMPLER_ARG: env.float(1, 0, 1),
    OTEL_BSP_MAX_QUEUE_SIZE: env.integer(2048, 1, 1_000_000),
    OTEL_BSP_SCHEDULE_DELAY: env.integer(5000, 1, 600_000),
    /** Put prompts, completions and tool arguments on spans (they may hold personal data). */
    OTEL_CAPTURE_CONTENT: env.boolean(false),
  },
  secrets: ['OTEL_EXPORTER_OTLP_HEADERS'],
  resolve: (e): TracingConfig => {
    const endpoint = tracesEndpoint(e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, e.OTEL_EXPORTER_OTLP_ENDPOINT)
    return {
      enabled: !e.OTEL_SDK_DISABLED && endpoint !== undefined,
      endpoint,
      headers: e.OTEL_EXPORTER_OTLP_HEADERS ? parseOtlpHeaders(e.OTEL_EXPORTER_OTLP_HEADERS) : {},
      timeoutMs: e.OTEL_EXPORTER_OTLP_TIMEOUT,
      serviceName: e.OTEL_SERVICE_NAME,
      resourceAttributes: e.OTEL_RESOURCE_ATTRIBUTES ? parseOtlpHeaders(e.OTEL_RESOURCE_ATTRIBUTES) : {},
      sampler: e.OTEL_TRACES_SAMPLER,
      samplerRatio: e.OTEL_TRACES_SAMPLER_ARG,
      maxQueueSize: e.OTEL_BSP_MAX_QUEUE_SIZE,
      scheduleDelayMs: e.OTEL_BSP_SCHEDULE_DELAY,
      captureContent: e.OTEL_CAPTURE_CONTENT,
    }
  },
  check: (config, { appEnv }) => {
    const problems: ConfigProblem[] = []
    if (appEnv === 'production' && config.enabled && config.captureContent) {
      problems.push({ key: 'OTEL_CAPTURE_CONTENT', message: 'sends prompts, completions and tool arguments to the trace backend', severity: 'warning' })
    }
    return problems
  },
})
