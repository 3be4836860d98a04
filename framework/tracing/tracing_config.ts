import type { ConfigProblem } from '../config/define_config'

/** The samplers of OTEL_TRACES_SAMPLER that Langvel builds. */
export const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const

export type SamplerName = (typeof SAMPLERS)[number]

/** config/tracing.ts, resolved. */
export interface TracingConfig {
  /** True when an endpoint is set and OTEL_SDK_DISABLED is not. */
  enabled: boolean
  /** OTEL_SDK_DISABLED=true: no tracing at all, not even the playground's in-memory recorder. */
  sdkDisabled: boolean
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

/** The raw OTEL_* variables config/tracing.ts reads (unset when empty). */
export interface TracingEnv {
  OTEL_SDK_DISABLED?: string
  OTEL_TRACES_EXPORTER?: string
  OTEL_EXPORTER_OTLP_ENDPOINT?: string
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string
  OTEL_EXPORTER_OTLP_PROTOCOL?: string
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?: string
  OTEL_EXPORTER_OTLP_HEADERS?: string
  OTEL_EXPORTER_OTLP_TIMEOUT?: string
  OTEL_SERVICE_NAME?: string
  OTEL_RESOURCE_ATTRIBUTES?: string
  OTEL_TRACES_SAMPLER?: string
  OTEL_TRACES_SAMPLER_ARG?: string
  OTEL_BSP_MAX_QUEUE_SIZE?: string
  OTEL_BSP_SCHEDULE_DELAY?: string
  OTEL_CAPTURE_CONTENT?: string
}

/** The protocol Langvel's exporter speaks. */
export const OTLP_PROTOCOL = 'http/json'

/** The spellings of a boolean switch in the environment. */
export const TRUE = ['true', '1', 'yes', 'on']
export const FALSE = ['false', '0', 'no', 'off']

/** The problems found while resolving, handed from `resolve` to `check` without showing in the config. */
const problemsOf = new WeakMap<TracingConfig, ConfigProblem[]>()

/** The warnings (and Langvel-only errors) found while reading the OTEL_* environment. */
export function tracingEnvProblems(config: TracingConfig): ConfigProblem[] {
  return problemsOf.get(config) ?? []
}

export function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol)
  } catch {
    return false
  }
}

/**
 * Reads the OTEL_* environment as the OpenTelemetry specification says: it is
 * shared by every SDK in the pod, so a value Langvel cannot use is warned
 * about and treated as unset (the specification's default), never refused.
 * While tracing is off (OTEL_SDK_DISABLED=true, OTEL_TRACES_EXPORTER=none,
 * or no endpoint) nothing else is read or checked. OTEL_CAPTURE_CONTENT is
 * Langvel's own key: strict, but only while tracing is on.
 */
export function resolveTracingEnv(e: TracingEnv): TracingConfig {
  const problems: ConfigProblem[] = []
  const warn = (key: string, message: string) => problems.push({ key, message, severity: 'warning' })
  const config: TracingConfig = {
    enabled: false,
    sdkDisabled: false,
    endpoint: undefined,
    headers: {},
    timeoutMs: 10_000,
    serviceName: e.OTEL_SERVICE_NAME,
    resourceAttributes: {},
    sampler: 'parentbased_always_on',
    samplerRatio: 1,
    maxQueueSize: 2048,
    scheduleDelayMs: 5000,
    captureContent: false,
  }
  const done = () => {
    problemsOf.set(config, problems)
    return config
  }

  if (e.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') {
    config.sdkDisabled = true
    return done()
  }
  // Read without complaint while nothing is exported: the playground's recorder follows it too.
  config.captureContent = TRUE.includes(e.OTEL_CAPTURE_CONTENT?.trim().toLowerCase() ?? '')
  const exporters = (e.OTEL_TRACES_EXPORTER ?? 'otlp').split(',').map((item) => item.trim().toLowerCase()).filter(Boolean)
  if (exporters.includes('none')) return done()

  const tracesUrl = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
  const baseUrl = e.OTEL_EXPORTER_OTLP_ENDPOINT
  if (!tracesUrl && !baseUrl) return done()
  // Tracing is asked for: from here a value Langvel cannot use is warned about.
  const disabled = e.OTEL_SDK_DISABLED?.trim().toLowerCase()
  if (disabled !== undefined && !TRUE.includes(disabled) && !FALSE.includes(disabled)) {
    warn('OTEL_SDK_DISABLED', 'expected true or false; read as false')
  } else if (disabled !== undefined && TRUE.includes(disabled)) {
    config.sdkDisabled = true
    config.captureContent = false
    return done()
  }
  if (exporters.length > 0 && !exporters.includes('otlp')) {
    warn('OTEL_TRACES_EXPORTER', 'Langvel exports traces over OTLP only (otlp or none); tracing stays off')
    return done()
  }
  const unusable = [tracesUrl && !isHttpUrl(tracesUrl) ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : undefined, baseUrl && !isHttpUrl(baseUrl) ? 'OTEL_EXPORTER_OTLP_ENDPOINT' : undefined]
  for (const key of unusable) if (key) warn(key, 'expected a URL with a scheme (http://... or https://...); ignored')
  const endpoint = tracesEndpoint(tracesUrl && isHttpUrl(tracesUrl) ? tracesUrl : undefined, baseUrl && isHttpUrl(baseUrl) ? baseUrl : undefined)
  if (endpoint === undefined) {
    // Every endpoint set was unusable (each warned about): say what follows on the last warning.
    const last = problems[problems.length - 1]
    last.message = `${last.message}, and no other endpoint is set: tracing stays off`
    return done()
  }
  config.enabled = true
  config.endpoint = endpoint

  const protocolKey = e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL'
  const protocol = e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL
  if (protocol !== undefined && protocol.trim() !== OTLP_PROTOCOL) {
    warn(protocolKey, `Langvel exports traces as OTLP/HTTP JSON (${OTLP_PROTOCOL}) only; "${protocol}" is ignored, and a collector listening only for it will not receive the spans`)
  }

  const list = (key: 'OTEL_EXPORTER_OTLP_HEADERS' | 'OTEL_RESOURCE_ATTRIBUTES'): Record<string, string> => {
    const value = e[key]
    if (value === undefined) return {}
    const problem = otlpHeaderProblem(value)
    if (problem) warn(key, `expected key=value pairs separated by commas (${problem}); the malformed items are ignored`)
    return parseOtlpHeaders(value)
  }
  config.headers = list('OTEL_EXPORTER_OTLP_HEADERS')
  config.resourceAttributes = list('OTEL_RESOURCE_ATTRIBUTES')

  const number = (key: keyof TracingEnv, fallback: number, min: number, max: number, integer: boolean): number => {
    const raw = e[key]
    if (raw === undefined) return fallback
    const value = Number(raw.trim())
    if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      warn(key, `expected ${integer ? 'an integer' : 'a number'} between ${min} and ${max}; the default ${fallback} is used`)
      return fallback
    }
    return value
  }
  config.timeoutMs = number('OTEL_EXPORTER_OTLP_TIMEOUT', 10_000, 100, 600_000, true)
  config.maxQueueSize = number('OTEL_BSP_MAX_QUEUE_SIZE', 2048, 1, 1_000_000, true)
  config.scheduleDelayMs = number('OTEL_BSP_SCHEDULE_DELAY', 5000, 1, 600_000, true)

  const sampler = e.OTEL_TRACES_SAMPLER?.trim().toLowerCase()
  if (sampler !== undefined) {
    if ((SAMPLERS as readonly string[]).includes(sampler)) config.sampler = sampler as SamplerName
    else warn('OTEL_TRACES_SAMPLER', `"${sampler}" is not a sampler Langvel builds (${SAMPLERS.join(', ')}); parentbased_always_on is used`)
  }
  if (config.sampler.endsWith('traceidratio')) config.samplerRatio = number('OTEL_TRACES_SAMPLER_ARG', 1, 0, 1, false)

  config.captureContent = false
  const capture = e.OTEL_CAPTURE_CONTENT?.trim().toLowerCase()
  if (capture !== undefined) {
    if (TRUE.includes(capture)) config.captureContent = true
    else if (!FALSE.includes(capture)) problems.push({ key: 'OTEL_CAPTURE_CONTENT', message: 'expected a boolean (true/false, 1/0, yes/no, on/off)', severity: 'error' })
  }
  return done()
}
