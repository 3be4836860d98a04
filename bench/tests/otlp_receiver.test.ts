import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { OtlpReceiver } from '../harness/otlp_receiver'
import { ProcessGuard } from '../harness/process_guard'

const ROOT = resolve(__dirname, '..', '..')

/**
 * Three traces of two spans each (a root and a child), sent by the
 * OpenTelemetry OTLP/HTTP exporter Langvel uses, from a process of its own
 * (the exporter loads parts of itself with dynamic imports, which jest's
 * CommonJS runtime refuses).
 */
const EXPORT_SPANS = `
const { context, trace } = require('@opentelemetry/api')
const { BasicTracerProvider, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base')
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http')
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: process.argv[1] + '/v1/traces' }))] })
const tracer = provider.getTracer('bench-test')
for (let index = 0; index < 3; index++) {
  const root = tracer.startSpan('POST /agents/:path')
  tracer.startSpan('node process', {}, trace.setSpan(context.active(), root)).end()
  root.end()
}
provider.forceFlush().then(() => provider.shutdown()).catch((error) => { console.error(error); process.exit(1) })
`

describe('the OTLP receiver of the tracing benchmark', () => {
  let scratch: string
  const guard = new ProcessGuard()
  let receiver: OtlpReceiver

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'langvel-bench-otlp-'))
    receiver = await OtlpReceiver.start({ root: ROOT, scratch, name: 'test', adopt: (child) => void guard.adopt(child) })
  })
  afterAll(async () => {
    await guard.cleanup()
    rmSync(scratch, { recursive: true, force: true })
  })

  it('counts the spans, traces and span names the OpenTelemetry OTLP/HTTP exporter sends it', async () => {
    await promisify(execFile)(process.execPath, ['-e', EXPORT_SPANS, receiver.url], { cwd: ROOT, timeout: 20_000 })

    const stats = await receiver.stats()
    expect(stats).toMatchObject({ spans: 6, rootSpans: 3, refused: 0, spansByName: { 'POST /agents/:path': 3, 'node process': 3 } })
    expect(stats.exports).toBeGreaterThanOrEqual(1)
    expect(stats.bytes).toBeGreaterThan(0)
  })

  it('answers 400 to a body that is not an OTLP trace export and counts it as refused, without counting spans', async () => {
    const before = await receiver.stats()
    const notJson = await fetch(`${receiver.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceSpans": [' })
    expect(notJson.status).toBe(400)
    expect(await notJson.json()).toMatchObject({ error: 'E_BAD_REQUEST' })
    const wrongShape = await fetch(`${receiver.url}/v1/traces`, { method: 'POST', body: '{"spans": []}' })
    expect(wrongShape.status).toBe(400)
    const after = await receiver.stats()
    expect(after.refused).toBe(before.refused + 2)
    expect(after.spans).toBe(before.spans)
    expect(after.exports).toBe(before.exports)
  })

  it('answers 404 with an error code to anything but POST /v1/traces and GET /stats', async () => {
    const response = await fetch(`${receiver.url}/v1/metrics`, { method: 'POST', body: '{}' })
    expect(response.status).toBe(404)
    expect(await response.json()).toMatchObject({ error: 'E_NOT_FOUND' })
  })
})
