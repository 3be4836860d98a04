import { SpanStatusCode } from '@opentelemetry/api'
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { AgentRouteInfo, StreamEvent } from '../../../framework/contracts/agent_run'
import { E_ABORTED, E_SHUTTING_DOWN, E_TIMEOUT } from '../../../framework/errors'
import { clearActiveTracing, setActiveTracing } from '../../../framework/tracing'
import { OtelTracing } from '../../../framework/tracing/otel_tracing'
import { RunTrace } from '../../../framework/tracing/run_trace'

const exporter = new InMemorySpanExporter()
const tracing = new OtelTracing({ serviceName: 'run-trace-test', serviceVersion: '0.0.0', spanProcessors: [new SimpleSpanProcessor(exporter)] })
const route = { path: '/support', agent: 'SupportAgent', middleware: [], checkpointer: 'memory', threadNamespace: 'support' } as unknown as AgentRouteInfo

const start = () => {
  const run = RunTrace.start(route, 'stream', {})
  if (!run) throw new Error('tracing is off')
  return run
}
const finished = () => exporter.getFinishedSpans().filter((span) => span.name === 'invoke_agent SupportAgent')

async function* events(): AsyncGenerator<StreamEvent> {
  yield { event: 'values', data: {} } as StreamEvent
  yield { event: 'values', data: {} } as StreamEvent
}

beforeAll(() => setActiveTracing(tracing))
afterAll(async () => {
  clearActiveTracing(tracing)
  await tracing.shutdown()
})
beforeEach(() => exporter.reset())

describe('RunTrace', () => {
  it.each([
    ['E_ABORTED', () => new E_ABORTED('client closed the connection')],
    ['E_SHUTTING_DOWN', () => new E_SHUTTING_DOWN()],
  ])('records a run stopped by %s as cancelled, not failed', async (code, error) => {
    const run = start()
    await expect(run.settle(() => Promise.reject(error()), () => 'success')).rejects.toThrow()
    const [span] = finished()
    expect(span.attributes).toMatchObject({ 'langvel.run.outcome': 'cancelled', 'langvel.error.code': code })
    expect(span.status.code).toBe(SpanStatusCode.UNSET)
    expect(span.events.map((event) => event.name)).not.toContain('exception')
  })

  it('still records a timeout as a failed run', async () => {
    const run = start()
    await expect(run.settle(() => Promise.reject(new E_TIMEOUT(1000)), () => 'success')).rejects.toThrow()
    const [span] = finished()
    expect(span.attributes['langvel.run.outcome']).toBe('error')
    expect(span.status.code).toBe(SpanStatusCode.ERROR)
  })

  it('ends the span of a stream the reader stops before its first event', async () => {
    const run = start()
    const stream = (await run.stream(async () => events())) as AsyncGenerator<StreamEvent>
    expect(finished()).toHaveLength(0)
    await stream.return(undefined)
    const [span] = finished()
    expect(span.attributes['langvel.run.outcome']).toBe('cancelled')
  })

  it('ends the span of a stream read to the end, or left midway, once', async () => {
    const whole = start()
    for await (const _event of await whole.stream(async () => events())) {
      // read to the end
    }
    const left = start()
    for await (const _event of await left.stream(async () => events())) break
    expect(finished().map((span) => span.attributes['langvel.run.outcome']).sort()).toEqual(['cancelled', 'success'])
  })
})
