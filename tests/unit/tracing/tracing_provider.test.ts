import { join } from 'node:path'
import { trace } from '@opentelemetry/api'
import { discoverConfigFiles, loadConfig } from '../../../framework/config'
import { E_INVALID_CONFIG } from '../../../framework/errors'
import { Application } from '../../../framework/foundation/application'
import { createLogger } from '../../../framework/logger'
import { activeTracing, startPlaygroundTracing, tracingProvider } from '../../../framework/tracing'
import { RUN_SPAN_ATTRIBUTE } from '../../../framework/tracing/trace_recorder'
import { parseOtlpHeaders, tracesEndpoint } from '../../../framework/tracing/tracing_config'

const definitions = discoverConfigFiles(join(__dirname, '..', '..', '..', 'config'))
const tracingConfig = (env: Record<string, string>) => loadConfig(definitions, env).values.tracing as Record<string, unknown>

describe('config/tracing.ts', () => {
  it('is off until an endpoint is set', () => {
    expect(tracingConfig({})).toMatchObject({ enabled: false, endpoint: undefined })
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toMatchObject({ enabled: true, endpoint: 'http://collector:4318/v1/traces' })
  })

  it('takes the traces endpoint as is, over the base endpoint', () => {
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/custom/traces' })).toMatchObject({ enabled: true, endpoint: 'https://b/custom/traces' })
    expect(tracesEndpoint(undefined, 'http://a:4318///')).toBe('http://a:4318/v1/traces')
  })

  it('stays off with OTEL_SDK_DISABLED=true whatever else is set', () => {
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_SDK_DISABLED: 'true' })).toMatchObject({ enabled: false })
  })

  it('reads the sampler, queue, timeout and content settings', () => {
    expect(
      tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25', OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_EXPORTER_OTLP_TIMEOUT: '2000', OTEL_CAPTURE_CONTENT: 'true', OTEL_SERVICE_NAME: 'bot' }),
    ).toMatchObject({ sampler: 'parentbased_traceidratio', samplerRatio: 0.25, maxQueueSize: 100, timeoutMs: 2000, captureContent: true, serviceName: 'bot' })
  })

  it('reads resource attributes in the same key=value form', () => {
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=staging,service.namespace=support' }).resourceAttributes).toEqual({
      'deployment.environment.name': 'staging',
      'service.namespace': 'support',
    })
  })

  it('parses the headers, URL-decoding values', () => {
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20abc, x-tenant=acme=1' }).headers).toEqual({ Authorization: 'Bearer abc', 'x-tenant': 'acme=1' })
    expect(parseOtlpHeaders('a=%E0%A4%A')).toEqual({ a: '%E0%A4%A' })
  })

  it('boots with foreign or spec-valid OTEL_* values while tracing is off, checking nothing else', () => {
    const foreign = { OTEL_TRACES_SAMPLER: 'xray', OTEL_TRACES_SAMPLER_ARG: '2', OTEL_EXPORTER_OTLP_ENDPOINT: 'otel-collector:4317', OTEL_EXPORTER_OTLP_HEADERS: 'novalue', OTEL_CAPTURE_CONTENT: 'maybe', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }
    for (const off of [{ OTEL_SDK_DISABLED: 'true' }, { OTEL_TRACES_EXPORTER: 'none' }]) {
      const { values, warnings } = loadConfig(definitions, { ...foreign, ...off })
      expect(values.tracing).toMatchObject({ enabled: false })
      expect(warnings.filter((warning) => warning.key.startsWith('OTEL_'))).toEqual([])
    }
    const { values, warnings } = loadConfig(definitions, { OTEL_TRACES_SAMPLER: 'xray', OTEL_CAPTURE_CONTENT: 'maybe', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })
    expect(values.tracing).toMatchObject({ enabled: false })
    expect(warnings.filter((warning) => warning.key.startsWith('OTEL_'))).toEqual([])
  })

  it('honours OTEL_TRACES_EXPORTER=none with an endpoint set', () => {
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_TRACES_EXPORTER: 'none' })).toMatchObject({ enabled: false })
  })

  it('warns about an unknown sampler or a bad ratio and falls back to the defaults', () => {
    const { values, warnings } = loadConfig(definitions, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_TRACES_SAMPLER: 'xray', OTEL_EXPORTER_OTLP_HEADERS: 'novalue' })
    expect(values.tracing).toMatchObject({ enabled: true, sampler: 'parentbased_always_on', samplerRatio: 1 })
    expect(warnings.map((warning) => warning.key)).toEqual(expect.arrayContaining(['OTEL_TRACES_SAMPLER', 'OTEL_EXPORTER_OTLP_HEADERS']))
    const ratio = loadConfig(definitions, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' })
    expect(ratio.values.tracing).toMatchObject({ enabled: true, sampler: 'traceidratio', samplerRatio: 1 })
    expect(ratio.warnings.map((warning) => warning.key)).toContain('OTEL_TRACES_SAMPLER_ARG')
  })

  it('warns about an endpoint without an http(s) scheme and leaves tracing off', () => {
    const { values, warnings } = loadConfig(definitions, { OTEL_EXPORTER_OTLP_ENDPOINT: 'otel-collector:4317' })
    expect(values.tracing).toMatchObject({ enabled: false })
    expect(warnings.map((warning) => warning.key)).toContain('OTEL_EXPORTER_OTLP_ENDPOINT')
  })

  it('warns when the OTLP protocol asked for is not http/json', () => {
    for (const [key, value] of [['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc'], ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'http/protobuf']]) {
      const { values, warnings } = loadConfig(definitions, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', [key]: value })
      expect(values.tracing).toMatchObject({ enabled: true })
      expect(warnings.map((warning) => warning.key)).toContain(key)
    }
    expect(loadConfig(definitions, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).warnings.map((warning) => warning.key)).not.toContain('OTEL_EXPORTER_OTLP_PROTOCOL')
  })

  it('keeps OTEL_CAPTURE_CONTENT strict while tracing is on', () => {
    let error: unknown
    try {
      loadConfig(definitions, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_CAPTURE_CONTENT: 'maybe' })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(E_INVALID_CONFIG)
    expect(((error as InstanceType<typeof E_INVALID_CONFIG>).details as Array<{ key: string }>).map((problem) => problem.key)).toEqual(['OTEL_CAPTURE_CONTENT'])
  })

  it('warns in production when content capture is on', () => {
    const { warnings } = loadConfig(definitions, { APP_ENV: 'production', JWT_SECRET_KEY: 'k'.repeat(48), OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_CAPTURE_CONTENT: 'true' })
    expect(warnings.map((warning) => warning.key)).toContain('OTEL_CAPTURE_CONTENT')
  })
})

describe('tracingProvider', () => {
  const boot = (env: Record<string, string>) =>
    Application.create({ env: { APP_ENV: 'test', APP_NAME: 'provider-test', ...env }, loadDotenv: false, providers: [tracingProvider], logger: createLogger({ silent: true }) }).boot()

  it('binds nothing and leaves tracing off without an endpoint', async () => {
    const app = await boot({})
    expect(app.bound('tracing')).toBe(false)
    expect(activeTracing()).toBeUndefined()
    await app.shutdown()
  })

  it('with an endpoint, makes tracing active and the global tracer provider, and undoes both at shutdown', async () => {
    const app = await boot({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_EXPORTER_OTLP_TIMEOUT: '200' })
    expect(app.bound('tracing')).toBe(true)
    expect(activeTracing()).toBe(app.make('tracing'))
    // A span made through the global API goes through the application's provider: it gets a real trace id.
    const span = trace.getTracer('app-code').startSpan('mine')
    expect(span.spanContext().traceId).not.toBe('0'.repeat(32))
    span.end()
    await app.shutdown()
    expect(activeTracing()).toBeUndefined()
    expect(trace.getTracer('app-code').startSpan('after').isRecording()).toBe(false)
  })

  it('with the playground on and no endpoint, loads nothing at boot; the serving process records runs in memory', async () => {
    const app = await boot({ PLAYGROUND_ENABLED: 'true', PLAYGROUND_TRACES: '2', OTEL_CAPTURE_CONTENT: 'true' })
    try {
      // A command that only boots (migrate, agent:run, auth:token) has no tracing.
      expect(app.bound('tracing')).toBe(false)
      expect(activeTracing()).toBeUndefined()
      startPlaygroundTracing(app)
      expect(app.bound('tracing')).toBe(true)
      expect(activeTracing()).toBe(app.make('tracing'))
      // OTEL_CAPTURE_CONTENT applies to what the recorder keeps too.
      expect(app.make('tracing').captureContent).toBe(true)
      const recorder = app.make('traceRecorder')
      const traceIds: string[] = []
      for (const name of ['first', 'second', 'third']) {
        await activeTracing()!.inSpan(name, { attributes: { [RUN_SPAN_ATTRIBUTE]: 'invoke' } }, async (span) => void traceIds.push(span.spanContext().traceId))
      }
      // PLAYGROUND_TRACES bounds what is kept: the oldest trace is forgotten.
      expect(recorder.get(traceIds[0])).toBeUndefined()
      expect(recorder.get(traceIds[2])?.spans.map((span) => span.name)).toEqual(['third'])
    } finally {
      await app.shutdown()
    }
    expect(activeTracing()).toBeUndefined()
  })

  it('with OTEL_SDK_DISABLED=true, the playground gets no tracing either', async () => {
    const app = await boot({ PLAYGROUND_ENABLED: 'true', OTEL_SDK_DISABLED: 'true' })
    try {
      startPlaygroundTracing(app)
      expect(app.bound('tracing')).toBe(false)
      expect(app.bound('traceRecorder')).toBe(false)
      expect(activeTracing()).toBeUndefined()
    } finally {
      await app.shutdown()
    }
  })

  it('stays off in development when PLAYGROUND_ENABLED=false and no endpoint is set', async () => {
    const app = await boot({ APP_ENV: 'development', PLAYGROUND_ENABLED: 'false' })
    expect(app.bound('tracing')).toBe(false)
    expect(app.bound('traceRecorder')).toBe(false)
    await app.shutdown()
  })
})
