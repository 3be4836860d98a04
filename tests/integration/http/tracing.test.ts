import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import request from 'supertest'
import { z } from 'zod'
import { Agent, defineState, type GraphBuilder } from '../../../framework/agents'
import { AgentRunner } from '../../../framework/agents/agent_runner'
import { E_RUNTIME } from '../../../framework/errors'
import { Application } from '../../../framework/foundation/application'
import { defaultProviders } from '../../../framework/foundation/providers'
import { createServer, type HttpServer } from '../../../framework/http/server'
import { createLogger } from '../../../framework/logger'
import { Router } from '../../../framework/routing'
import { clearActiveTracing, setActiveTracing, type Tracing } from '../../../framework/tracing'
import { OtelTracing } from '../../../framework/tracing/otel_tracing'
import { CaptureTransport } from './support/app'

const EchoState = defineState({ query: z.string(), response: z.string().optional() })

class EchoAgent extends Agent<typeof EchoState> {
  state = EchoState
  build(graph: GraphBuilder<typeof EchoState>) {
    return graph.then(function respond(state) {
      return { response: `Processed: ${state.query}` }
    })
  }
}

class BrokenAgent extends Agent<typeof EchoState> {
  state = EchoState
  build(graph: GraphBuilder<typeof EchoState>) {
    return graph.then(function fail(): never {
      throw new E_RUNTIME('the node broke')
    })
  }
}

interface Served {
  app: Application
  server: HttpServer
  logs: CaptureTransport
  close(): Promise<void>
}

async function serve(tracing: Tracing | undefined): Promise<Served> {
  const logs = new CaptureTransport()
  const app = Application.create({
    env: { ...process.env, APP_ENV: 'test', LOG_LEVEL: 'info', CORS_ORIGINS: 'https://app.example.com', OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' },
    loadDotenv: false,
    providers: defaultProviders(),
    logger: createLogger({ level: 'info', transports: [logs] }),
  })
  await app.boot()
  const router = new Router()
  router.agent('/echo', EchoAgent)
  router.agent('/broken', BrokenAgent)
  const runner = new AgentRunner({ routes: router.routes(), logger: createLogger({ silent: true }) })
  // What the tracing provider does at boot when OTEL_EXPORTER_OTLP_ENDPOINT is set.
  if (tracing) setActiveTracing(tracing)
  const server = createServer({ app, runner, health: { database: 'off', checkpointer: 'off' } })
  server.markReady()
  return {
    app,
    server,
    logs,
    async close() {
      await server.shutdown(1)
      await app.shutdown()
      if (tracing) clearActiveTracing(tracing)
    },
  }
}

/** Polls until `condition` holds (it may be async); fails after a few seconds. */
async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${condition.toString()}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

const one = (spans: ReadableSpan[], name: string) => {
  const span = spans.find((candidate) => candidate.name === name)
  if (!span) throw new Error(`no span ${name} among ${spans.map((candidate) => candidate.name).join(', ')}`)
  return span
}

describe('request tracing over HTTP', () => {
  const exporter = new InMemorySpanExporter()
  const tracing = new OtelTracing({ serviceName: 'http-test', spanProcessors: [new SimpleSpanProcessor(exporter)] })
  let t: Served
  let http: ReturnType<typeof request>

  beforeAll(async () => {
    t = await serve(tracing)
    http = request(t.server.express)
  })
  afterAll(async () => {
    await t.close()
    await tracing.shutdown()
  })
  beforeEach(() => exporter.reset())

  it('makes a SERVER span per request, parent of the run, and answers with its trace id everywhere', async () => {
    const res = await http.post('/agents/echo').send({ input: { query: 'hi' } }).expect(200)
    await waitFor(() => exporter.getFinishedSpans().some((span) => span.kind === SpanKind.SERVER))
    const spans = exporter.getFinishedSpans()
    const server = one(spans, 'POST /agents/:path')
    const traceId = server.spanContext().traceId
    expect(server.kind).toBe(SpanKind.SERVER)
    expect(server.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/agents/:path',
      'url.path': '/agents/echo',
      'http.response.status_code': 200,
      'langvel.route': '/echo',
      'langvel.request_id': res.headers['x-request-id'],
    })
    expect(res.body.metadata.trace_id).toBe(traceId)
    expect(res.headers.traceparent).toBe(`00-${traceId}-${server.spanContext().spanId}-01`)
    const run = one(spans, 'invoke_agent EchoAgent')
    expect(run.parentSpanContext?.spanId).toBe(server.spanContext().spanId)
    expect(one(spans, 'node respond').parentSpanContext?.spanId).toBe(run.spanContext().spanId)
    // The access log line carries the same trace id.
    const line = t.logs.records.find((record) => record.message === 'request' && record.requestId === res.headers['x-request-id'])
    expect(line?.traceId).toBe(traceId)
  })

  it('lets a browser script read the traceparent of a response', async () => {
    const res = await http.post('/agents/echo').set('Origin', 'https://app.example.com').send({ input: { query: 'hi' } }).expect(200)
    expect(res.headers.traceparent).toBeDefined()
    expect(res.headers['access-control-expose-headers'].split(/,\s*/)).toContain('traceparent')
  })

  it("continues the caller's trace from an incoming traceparent", async () => {
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736'
    const callerSpan = '00f067aa0ba902b7'
    const res = await http.post('/agents/echo').set('traceparent', `00-${callerTrace}-${callerSpan}-01`).send({ input: { query: 'hi' } }).expect(200)
    await waitFor(() => exporter.getFinishedSpans().some((span) => span.kind === SpanKind.SERVER))
    const server = one(exporter.getFinishedSpans(), 'POST /agents/:path')
    expect(server.spanContext().traceId).toBe(callerTrace)
    expect(server.parentSpanContext?.spanId).toBe(callerSpan)
    expect(res.body.metadata.trace_id).toBe(callerTrace)
    expect(res.headers.traceparent).toMatch(new RegExp(`^00-${callerTrace}-[0-9a-f]{16}-01$`))
  })

  it('keeps the trace id of streamed runs in their metadata event', async () => {
    const res = await http.post('/agents/echo').send({ input: { query: 'hi' }, stream: true }).expect(200)
    await waitFor(() => exporter.getFinishedSpans().some((span) => span.kind === SpanKind.SERVER))
    const traceId = one(exporter.getFinishedSpans(), 'POST /agents/:path').spanContext().traceId
    expect(res.text).toContain(`"trace_id":"${traceId}"`)
    expect(one(exporter.getFinishedSpans(), 'invoke_agent EchoAgent').spanContext().traceId).toBe(traceId)
  })

  it('marks a server error failed, with its code, and puts the same trace id in the error body', async () => {
    const res = await http.post('/agents/broken').send({ input: { query: 'hi' } }).expect(500)
    await waitFor(() => exporter.getFinishedSpans().some((span) => span.kind === SpanKind.SERVER))
    const spans = exporter.getFinishedSpans()
    const server = one(spans, 'POST /agents/:path')
    expect(res.body.error).toMatchObject({ code: 'E_RUNTIME', trace_id: server.spanContext().traceId })
    expect(server.status.code).toBe(SpanStatusCode.ERROR)
    expect(server.attributes).toMatchObject({ 'http.response.status_code': 500, 'langvel.error.code': 'E_RUNTIME' })
    expect(server.events.map((event) => event.name)).toContain('exception')
    for (const name of ['invoke_agent BrokenAgent', 'node fail']) {
      expect(one(spans, name).attributes['langvel.error.code']).toBe('E_RUNTIME')
    }
    const failure = t.logs.records.find((record) => record.message === 'request failed')
    expect(failure?.traceId).toBe(server.spanContext().traceId)
  })

  it("keeps a client error's code on the span without marking the server failed", async () => {
    const res = await http.post('/agents/nowhere').send({ input: {} }).expect(404)
    await waitFor(() => exporter.getFinishedSpans().some((span) => span.kind === SpanKind.SERVER))
    const server = exporter.getFinishedSpans().find((span) => span.kind === SpanKind.SERVER) as ReadableSpan
    expect(server.status.code).toBe(SpanStatusCode.UNSET)
    expect(server.attributes).toMatchObject({ 'http.response.status_code': 404, 'langvel.error.code': res.body.error.code })
    expect(res.body.error.trace_id).toBe(server.spanContext().traceId)
  })
})

describe('request tracing off', () => {
  let t: Served

  beforeAll(async () => {
    t = await serve(undefined)
  })
  afterAll(() => t.close())

  it('binds no tracing, sends no traceparent, and keeps the request id (or an incoming trace id) as the trace id', async () => {
    expect(t.app.bound('tracing')).toBe(false)
    const res = await request(t.server.express).post('/agents/echo').send({ input: { query: 'hi' } }).expect(200)
    expect(res.headers.traceparent).toBeUndefined()
    expect(res.body.metadata.trace_id).toBe(res.headers['x-request-id'])
    const browser = await request(t.server.express).post('/agents/echo').set('Origin', 'https://app.example.com').send({ input: { query: 'hi' } }).expect(200)
    // Exposed headers as without tracing: the request id and the rest, never traceparent.
    expect(browser.headers['access-control-expose-headers']).toMatch(/^X-Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After(, |$)/)
    expect(browser.headers['access-control-expose-headers']).not.toContain('traceparent')
    const traced = await request(t.server.express).post('/agents/echo').set('traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01').send({ input: { query: 'hi' } })
    expect(traced.body.metadata.trace_id).toBe('4bf92f3577b34da6a3ce929d0e0e4736')
  })
})
