import { defineConfig, type ConfigProblem } from '../framework/config/define_config'
import { env } from '../framework/config/env'
import { resolveTracingEnv, tracingEnvProblems, type TracingConfig } from '../framework/tracing/tracing_config'

/**
 * OpenTelemetry tracing, read from the standard OTEL_* environment. Off until
 * an OTLP endpoint is set; OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none
 * turns exporting off whatever else is set. A server serving the playground
 * records its runs in memory even then, except with OTEL_SDK_DISABLED=true,
 * which turns that off too (docs/playground.md).
 *
 * The OTEL_* variables are shared by every OpenTelemetry SDK of a pod, so they
 * are read as the specification says, never refused: while tracing is off
 * nothing else is checked, and when it is on a value Langvel cannot use is
 * warned about and replaced by the specification's default (an endpoint
 * without an http(s) scheme is ignored, which leaves tracing off). Only the
 * Langvel-specific OTEL_CAPTURE_CONTENT is strict, and only while tracing is
 * on. See docs/observability.md.
 */
export default defineConfig({
  env: {
    OTEL_SDK_DISABLED: env.optionalString(),
    /** `otlp` (the default) or `none`; other exporters are not built by Langvel. */
    OTEL_TRACES_EXPORTER: env.optionalString(),
    /** The collector's base URL; traces go to `<endpoint>/v1/traces` (OTLP over HTTP, JSON). */
    OTEL_EXPORTER_OTLP_ENDPOINT: env.optionalString(),
    /** The full traces URL, used as is; wins over OTEL_EXPORTER_OTLP_ENDPOINT. */
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: env.optionalString(),
    /** Langvel sends `http/json` only; another value is warned about. */
    OTEL_EXPORTER_OTLP_PROTOCOL: env.optionalString(),
    /** Wins over OTEL_EXPORTER_OTLP_PROTOCOL; `http/json` only. */
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: env.optionalString(),
    /** `key=value` pairs separated by commas, values URL-encoded: `Authorization=Bearer%20abc,x-tenant=acme`. */
    OTEL_EXPORTER_OTLP_HEADERS: env.optionalString(),
    OTEL_EXPORTER_OTLP_TIMEOUT: env.optionalString(),
    /** Defaults to APP_NAME. */
    OTEL_SERVICE_NAME: env.optionalString(),
    /** More resource attributes, `key=value` pairs separated by commas: `deployment.environment.name=staging,service.namespace=support`. */
    OTEL_RESOURCE_ATTRIBUTES: env.optionalString(),
    OTEL_TRACES_SAMPLER: env.optionalString(),
    /** The ratio of the traceidratio samplers, from 0 to 1. */
    OTEL_TRACES_SAMPLER_ARG: env.optionalString(),
    OTEL_BSP_MAX_QUEUE_SIZE: env.optionalString(),
    OTEL_BSP_SCHEDULE_DELAY: env.optionalString(),
    /** Put prompts, completions and tool arguments on spans (they may hold personal data), exported or kept by the playground. */
    OTEL_CAPTURE_CONTENT: env.optionalString(),
  },
  secrets: ['OTEL_EXPORTER_OTLP_HEADERS'],
  resolve: (e): TracingConfig => resolveTracingEnv(e),
  check: (config, { appEnv }) => {
    const problems: ConfigProblem[] = [...tracingEnvProblems(config)]
    if (appEnv === 'production' && config.enabled && config.captureContent) {
      problems.push({ key: 'OTEL_CAPTURE_CONTENT', message: 'sends prompts, completions and tool arguments to the trace backend', severity: 'warning' })
    }
    return problems
  },
})
