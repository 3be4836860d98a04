import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { recordSpanError, setSpanErrorStacks } from '../../../framework/tracing/span_errors'

const exporter = new InMemorySpanExporter()
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
const tracer = provider.getTracer('span-errors-test')

function recorded(error: unknown) {
  exporter.reset()
  const span = tracer.startSpan('work')
  recordSpanError(span, error)
  span.end()
  const event = exporter.getFinishedSpans()[0].events.find((e) => e.name === 'exception')
  return event?.attributes ?? {}
}

afterEach(() => setSpanErrorStacks(false))

describe('recordSpanError', () => {
  const secret = 'connect failed: postgres://app:hunter22secret@db:5432/main'

  it('redacts secrets in the exception message and stack', () => {
    setSpanErrorStacks(true)
    const attributes = recorded(new Error(secret))
    expect(attributes['exception.message']).not.toContain('hunter22secret')
    expect(attributes['exception.message']).toContain('[redacted]')
    expect(String(attributes['exception.stacktrace'])).not.toContain('hunter22secret')
    expect(String(attributes['exception.stacktrace'])).toContain('[redacted]')
    expect(recorded(secret)['exception.message']).not.toContain('hunter22secret')
  })

  it('records the stack only with DEBUG=true', () => {
    expect(recorded(new Error('boom'))).not.toHaveProperty('exception.stacktrace')
    expect(recorded(new Error('boom'))['exception.type']).toBe('Error')
    setSpanErrorStacks(true)
    expect(recorded(new Error('boom'))['exception.stacktrace']).toEqual(expect.stringContaining('span_errors.test'))
  })
})

