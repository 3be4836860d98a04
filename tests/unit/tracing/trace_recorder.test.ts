import { SpanKind } from '@opentelemetry/api'
import { OtelTracing } from '../../../framework/tracing/otel_tracing'
import { TraceRecorder } from '../../../framework/tracing/trace_recorder'

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
      await tracing.inSpan('node ask', {}, async () => undefined)
      await tracing.inSpan('execute_tool lookup', { attributes: { 'gen_ai.tool.name': 'lookup' } }, () => Promise.reject(new Error('no'))).catch(() => undefined)
    })
    const trace = recorder.get(traceId)
    expect(trace?.spans.map((span) => span.name)).toEqual(['node ask', 'execute_tool lookup', 'POST /agents/:path'])
    const [node, tool, request] = trace!.spans
    expect(request).toMatchObject({ kind: 'server', status: 'unset', parentSpanId: undefined })
    expect(node.parentSpanId).toBe(request.spanId)
    expect(tool).toMatchObject({ status: 'error', attributes: { 'gen_ai.tool.name': 'lookup' } })
    expect(trace!.startTime).toBe(request.startTime)
    expect(JSON.parse(JSON.stringify(trace))).toEqual(trace)
    await tracing.shutdown()
  })

  it('forgets the oldest trace beyond maxTraces and caps the spans of one trace', async () => {
    const { recorder, tracing } = setup({ maxTraces: 2, maxSpansPerTrace: 2 })
    const ids: string[] = []
    for (let index = 0; index < 3; index++) {
      await tracing.inSpan(`run ${index}`, {}, async (span) => {
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
})
