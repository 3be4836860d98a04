/** The samplers of OTEL_TRACES_SAMPLER that Langvel builds. */
export const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const

export type SamplerName = (typeof SAMPLERS)[number]

/** config/tracing.ts, resolved. */
export interface TracingConfig {
  /** True when an endpoint is set and OTEL_SDK_DISABLED is not. */
  enabled: boolean
  /** The full OTLP/HTTP traces URL. */
  endpoint?: string
  headers: Record<string, string>
  /** Bound of one export request, and of the flush at shutdown. */
  timeoutMs: number
  /** Defaults to APP_NAME (the provider fills it in). */
  serviceName?: string
  /** OTEL_RESOURCE_ATTRIBUTES, on every span's resource (the service name wins over a `service.name` here). */
  resourceAttributes: Record<string, string>
  sampler: SamplerName
  samplerRatio: number
  maxQueueSize: number
  scheduleDelayMs: number
  captureContent: boolean
}

/**
 * The traces URL: the signal-specific endpoint as given, else the base
 * endpoint with `/v1/traces` appended, as the OTLP exporter specification says.
 */
export function tracesEndpoint(traces: string | undefined, base: string | undefined): string | undefined {
  if (traces) return traces
  if (!base) return undefined
  return `${base.replace(/\/+$/, '')}/v1/traces`
}

/** What is wrong with a `key=value,...` list (OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES), or undefined. */
export function otlpHeaderProblem(value: string): string | undefined {
  for (const item of value.split(',')) {
    if (item.trim() === '') continue
    const at = item.indexOf('=')
    if (at <= 0 || item.slice(0, at).trim() === '') return `"${item.trim().split('=')[0]}" has no name=value form`
  }
  return undefined
}

/**
 * Parses `key=value,key2=value2` (values URL-encoded), the form of
 * OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES.
 *
 * @example
 * parseOtlpHeaders('Authorization=Bearer%20abc,x-tenant=acme') // { Authorization: 'Bearer abc', 'x-tenant': 'acme' }
 */
export function parseOtlpHeaders(value: string): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const item of value.split(',')) {
    const at = item.indexOf('=')
    if (at <= 0) continue
    const name = item.slice(0, at).trim()
    const raw = item.slice(at + 1).trim()
    let decoded = raw
    try {
      decoded = decodeURIComponent(raw)
    } catch {
      // A value that is not valid percent-encoding is taken literally.
    }
    if (name) headers[name] = decoded
  }
  return headers
}
