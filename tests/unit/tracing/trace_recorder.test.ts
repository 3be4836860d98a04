import { SpanKind } from '@opentelemetry/api'
import { OtelTracing } from '../../../framework/tracing/otel_tracing'
import { RUN_SPAN_ATTRIBUTE, TraceRecorder } from '../../../framework/tracing/trace_recorder'

function setup(options: ConstructorParameters<typeof TraceRecorder>[0] = {}) {
  const recorder = new TraceRecorder(options)
  const tracing = new OtelTracing({ serviceName: 'recorder', spanProcessors: [recorder] })
  return { recorder, tracing }
}

describe('TraceRecorder', () => {
  it('keeps the spans of a trace as plain data, parents and failures included', async () => {
    const { recorder, tracing } = setup()
    let traceId = ''
    await tracing.inSpan('POST /agents/:path', { kind: SpanKind.SERVER }, async (request) => {
      traceId = request.spanContext().traceId
      await tracing.inSpan('invoke_agent Bot', { attributes: { [RUN_SPAN_ATTRIBUTE]: 'invoke' } }, async () => {
        await tracing.inSpan('node ask', {}, async () => undefined)
        await tracing.inSpan('execute_tool lookup', { attributes: { 'gen_ai.tool.name': 'lookup' } }, () => Promise.reject(new Error('no'))).catch(() => undefined)
      })
    })
    const trace = recorder.get(traceId)
    expect(trace?.spans.map((span) => span.name)).toEqual(['node ask', 'execute_tool lookup', 'invoke_agent Bot', 'POST /agents/:path'])
    const [node, tool, run, request] = trace!.spans
    expect(request).toMatchObject({ kind: 'server', status: 'unset', parentSpanId: undefined })
    expect(run.parentSpanId).toBe(request.spanId)
    expect(node.parentSpanId).toBe(run.spanId)
    expect(tool).toMatchObject({ status: 'error', attributes: { 'gen_ai.tool.name': 'lookup' } })
    expect(trace!.startTime).toBe(request.startTime)
    expect(JSON.parse(JSON.stringify(trace))).toEqual(trace)
    await tracing.shutdown()
  })

  it('forgets the oldest trace beyond maxTraces and caps the spans of one trace', async () => {
    const { recorder, tracing } = setup({ maxTraces: 2, maxSpansPerTrace: 2 })
    const ids: string[] = []
    for (let index = 0; index < 3; index++) {
      await tracing.inSpan(`run ${index}`, { attributes: { [RUN_SPAN_ATTRIBUTE]: 'invoke' } }, async (span) => {
        ids.push(span.spanContext().traceId)
        for (let child = 0; child < 3; child++) tracing.startSpan(`child ${child}`).end()
      })
    }
    expect(recorder.get(ids[0])).toBeUndefined()
    expect(recorder.list().map((trace) => trace.traceId)).toEqual([ids[2], ids[1]])
    expect(recorder.get(ids[2])).toMatchObject({ droppedSpans: 2 })
    expect(recorder.get(ids[2])?.spans).toHaveLength(2)
    await tracing.shutdown()
  })

  it('keeps only traces that ran an agent: requests without a run never push a run out', async () => {
    const { recorder, tracing } = setup({ maxTraces: 5 })
    const run = await tracing.inSpan('POST /agents/:path', { kind: SpanKind.SERVER }, async (request) => {
      await tracing.inSpan('invoke_agent Bot', { attributes: { [RUN_SPAN_ATTRIBUTE]: 'invoke' } }, async () => tracing.startSpan('node ask').end())
      return request.spanContext().traceId
    })
    const others: string[] = []
    for (let index = 0; index < 8; index++) {
      others.push(await tracing.inSpan('GET /health/live', { kind: SpanKind.SERVER }, async (request) => {
        // A read with a child span of its own is still no run.
        tracing.startSpan('db query').end()
        return request.spanContext().traceId
      }))
    }
    expect(recorder.list().map((trace) => trace.traceId)).toEqual([run])
    for (const id of others) expect(recorder.get(id)).toBeUndefined()
    expect(recorder.get(run)?.spans.map((span) => span.name)).toEqual(['node ask', 'invoke_agent Bot', 'POST /agents/:path'])
    await tracing.shutdown()
  })

  it('remembers the principal of the run as the trace owner', async () => {
    const { recorder, tracing } = setup()
    const id = await tracing.inSpan('POST /agents/:path', { kind: SpanKind.SERVER }, async (request) => {
      await tracing.inSpan('invoke_agent Bot', { attributes: { [RUN_SPAN_ATTRIBUTE]: 'invoke', 'enduser.id': 'alice' } }, async () => undefined)
      request.setAttribute('enduser.id', 'alice')
      return request.spanContext().traceId
    })
    expect(recorder.get(id)?.owner).toBe('alice')
    await tracing.shutdown()
  })

  it('bounds the bytes of a trace: long strings are cut, spans beyond the budget are counted, not kept', async () => {
    const { recorder, tracing } = setup({ maxAttributeLength: 100, maxBytesPerTrace: 5000 })
    const id = await tracing.inSpan('invoke_agent Bot', { attributes: { [RUN_SPAN_ATTRIBUTE]: 'invoke' } }, async (run) => {
      for (let index = 0; index < 50; index++) tracing.startSpan(`node ${index}`, { attributes: { 'gen_ai.input.messages': 'x'.repeat(10_000), list: ['y'.repeat(500)] } }).end()
      return run.spanContext().traceId
    })
    const trace = recorder.get(id)!
    const first = trace.spans[0].attributes
    expect((first['gen_ai.input.messages'] as string).length).toBeLessThan(200)
    expect(first['gen_ai.input.messages']).toMatch(/^x{100}\.\.\. \(9900 more characters\)$/)
    expect((first.list as string[])[0].length).toBeLessThan(200)
    expect(trace.spans.length).toBeGreaterThan(5)
    expect(trace.spans.length).toBeLessThan(50)
    expect(trace.droppedSpans).toBe(51 - trace.spans.length)
    expect(JSON.stringify(trace.spans).length).toBeLessThan(10_000)
    await tracing.shutdown()
  })
})
