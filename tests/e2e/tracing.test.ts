import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { httpCall, writeCliEntry, spawnServe, until, type ServedProcess } from './support/processes'

/**
 * `langvel serve` exporting traces over OTLP/HTTP to a receiver the test
 * runs: spans arrive (from every worker), the shutdown flushes them, and a
 * receiver that is down or hangs never fails a request, only a counter.
 */

const ROOT = join(__dirname, '..', '..')
const scratch = mkdtempSync(join(tmpdir(), 'langvel-tracing-'))
const BASE = mkdtempSync(join(tmpdir(), 'langvel-tracing-base-'))
const CLI_ENTRY = writeCliEntry(scratch, ['serverCommands'])
const ENV = {
  ...process.env,
  APP_ENV: 'test',
  LOG_LEVEL: 'info',
  LOG_FORMAT: 'json',
  NO_COLOR: '1',
  SHUTDOWN_GRACE_SECONDS: '10',
  LANGVEL_BASE_PATH: BASE,
  JWT_SECRET_KEY: 'tracing-e2e-key-tracing-e2e-key-tracing-e2e-0123',
  OTEL_SERVICE_NAME: 'e2e-agents',
}

interface OtlpSpan {
  name: string
  traceId: string
  spanId: string
  parentSpanId?: string
  attributes: Array<{ key: string; value: Record<string, unknown> }>
}

interface ReceivedSpan extends OtlpSpan {
  resource: Record<string, unknown>
}

/** A local OTLP/HTTP traces receiver: POST /v1/traces, JSON. It answers, or holds every request open. */
class Receiver {
  readonly spans: ReceivedSpan[] = []
  readonly headers: IncomingHttpHeaders[] = []
  private readonly held: ServerResponse[] = []
  private server?: Server
  port = 0

  constructor(private readonly mode: 'answer' | 'hang' = 'answer') {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        this.headers.push(req.headers)
        if (this.mode === 'hang') return void this.held.push(res)
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans: Array<{ resource: { attributes: OtlpSpan['attributes'] }; scopeSpans: Array<{ spans: OtlpSpan[] }> }>
        }
        for (const group of body.resourceSpans) {
          const resource = Object.fromEntries(group.resource.attributes.map((attribute) => [attribute.key, Object.values(attribute.value)[0]]))
          for (const scope of group.scopeSpans) for (const span of scope.spans) this.spans.push({ ...span, resource })
        }
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}')
      })
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as AddressInfo).port
    return this
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy()
    this.server?.closeAllConnections()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }
}

type Started = ServedProcess

const children: ChildProcess[] = []
const receivers: Receiver[] = []

function serve(args: string[], env: Record<string, string>): Promise<Started> {
  return spawnServe(CLI_ENTRY, args, { cwd: ROOT, env: { ...ENV, ...env }, children })
}

const echo = (url: string, headers: Record<string, string> = {}) => httpCall(`${url}/agents/echo`, { body: { input: { query: 'traced' } }, headers })

async function dropped(url: string, reason: string): Promise<number> {
  const metrics = (await httpCall(`${url}/metrics`)).text
  return Number(new RegExp(`langvel_tracing_spans_dropped_total\\{reason="${reason}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0)
}

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  for (const receiver of receivers) await receiver.stop()
  rmSync(scratch, { recursive: true, force: true })
  rmSync(BASE, { recursive: true, force: true })
})

describe('langvel serve with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it("exports a run's spans in the caller's trace, with the trace id the response and the logs show, flushed at shutdown", async () => {
    const receiver = await new Receiver().start()
    receivers.push(receiver)
    // Nothing leaves on the schedule during the test: the spans arrive because shutdown flushes them.
    const server = await serve([], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=acme%20corp', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=e2e', OTEL_BSP_SCHEDULE_DELAY: '600000' })
    const callerTrace = '0af7651916cd43dd8448eb211c80319c'
    const res = await echo(server.url, { traceparent: `00-${callerTrace}-b7ad6b7169203331-01` })
    expect(res.status).toBe(200)
    expect(JSON.parse(res.text).metadata.trace_id).toBe(callerTrace)

    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)

    const names = receiver.spans.map((span) => span.name)
    expect(names).toEqual(expect.arrayContaining(['POST /agents/:path', 'invoke_agent EchoAgent', 'node process', 'node respond']))
    const request = receiver.spans.find((span) => span.name === 'POST /agents/:path') as ReceivedSpan
    expect(request.parentSpanId).toBe('b7ad6b7169203331')
    for (const span of receiver.spans) {
      expect(span.traceId).toBe(callerTrace)
      expect(span.resource).toMatchObject({ 'service.name': 'e2e-agents', 'deployment.environment.name': 'e2e' })
    }
    const run = receiver.spans.find((span) => span.name === 'invoke_agent EchoAgent') as ReceivedSpan
    expect(run.parentSpanId).toBe(request.spanId)
    expect(receiver.headers[0]['x-tenant']).toBe('acme corp')
    // The access log line of the request names the same trace.
    const line = server
      .output()
      .split('\n')
      .filter((text) => text.startsWith('{'))
      .map((text) => JSON.parse(text) as Record<string, unknown>)
      .find((record) => record.message === 'request' && record.route === '/agents/:path')
    expect(line?.traceId).toBe(callerTrace)
  })

  it('exports from every worker of --workers 2', async () => {
    const receiver = await new Receiver().start()
    receivers.push(receiver)
    const server = await serve(['--workers', '2'], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100' })
    await until(() => httpCall(`${server.url}/health/ready`).then((res) => res.status), (status) => status === 200, 'readiness')
    const pids = () => new Set(receiver.spans.filter((span) => span.name === 'invoke_agent EchoAgent').map((span) => span.resource['process.pid']))
    await until(
      async () => {
        expect((await echo(server.url)).status).toBe(200)
        return pids().size
      },
      (size) => size === 2,
      'spans from two workers',
    )
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
  })

  it('answers every request while the collector is down, counting the spans it could not send', async () => {
    const gone = await new Receiver().start()
    await gone.stop()
    const server = await serve([], { OTEL_EXPORTER_OTLP_ENDPOINT: gone.endpoint, OTEL_BSP_SCHEDULE_DELAY: '50', OTEL_EXPORTER_OTLP_TIMEOUT: '1000' })
    for (let index = 0; index < 5; index++) expect((await echo(server.url)).status).toBe(200)
    await until(() => dropped(server.url, 'export_failed'), (count) => count > 0, 'export_failed drops on /metrics')
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
  })

  it('answers every request while the collector hangs, dropping what does not fit the queue, and still stops', async () => {
    const receiver = await new Receiver('hang').start()
    receivers.push(receiver)
    const server = await serve([], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '50', OTEL_BSP_MAX_QUEUE_SIZE: '4', OTEL_EXPORTER_OTLP_TIMEOUT: '5000' })
    const answers = await Promise.all(Array.from({ length: 10 }, () => echo(server.url)))
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200))
    expect(await dropped(server.url, 'queue_full')).toBeGreaterThan(0)
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
  }, 60_000)
})

describe('langvel serve with the playground on', () => {
  const traceOf = async (url: string, traceId: string) => {
    const res = await httpCall(`${url}/_langvel/api/traces/${traceId}`)
    return res.status === 200 ? (JSON.parse(res.text) as { spans: Array<{ name: string }> }).spans.map((span) => span.name) : []
  }

  it('keeps the trace of a run in memory for /_langvel without any collector', async () => {
    const server = await serve([], { PLAYGROUND_ENABLED: 'true' })
    const page = await httpCall(`${server.url}/_langvel`)
    expect(page.status).toBe(200)
    const traceId = JSON.parse((await echo(server.url)).text).metadata.trace_id as string
    expect(traceId).toMatch(/^[0-9a-f]{32}$/)
    // The request's own span ends once its response is out.
    const names = await until(() => traceOf(server.url, traceId), (list) => list.includes('POST /agents/:path'), 'the recorded trace')
    expect(names).toEqual(expect.arrayContaining(['invoke_agent EchoAgent', 'node process', 'node respond']))
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
  })

  it('with an endpoint too, exports the spans it records', async () => {
    const receiver = await new Receiver().start()
    receivers.push(receiver)
    const server = await serve([], { PLAYGROUND_ENABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '600000' })
    const traceId = JSON.parse((await echo(server.url)).text).metadata.trace_id as string
    const recorded = await until(() => traceOf(server.url, traceId), (list) => list.includes('POST /agents/:path'), 'the recorded trace')
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    const exported = receiver.spans.filter((span) => span.traceId === traceId).map((span) => span.name)
    expect(exported.sort()).toEqual(recorded.sort())
  })
})
