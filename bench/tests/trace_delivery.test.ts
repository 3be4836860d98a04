import { addTraces, tracesComplete } from '../trace_delivery'

const stats = (spans: number, rootSpans: number, names: Record<string, number>) => ({ exports: 2, spans, rootSpans, spansByName: names, bytes: 1000, refused: 0 })

describe('trace delivery', () => {
  it('adds the receivers of several rounds, span names included, with each server\'s check request', () => {
    const first = addTraces(undefined, stats(8, 2, { 'node process': 2, 'POST /agents/:path': 2 }), 1)
    const both = addTraces(first, stats(4, 1, { 'node process': 1, 'invoke_agent EchoAgent': 1 }), 1)
    expect(both).toEqual({
      exports: 4,
      spans: 12,
      rootSpans: 3,
      spansByName: { 'node process': 3, 'POST /agents/:path': 2, 'invoke_agent EchoAgent': 1 },
      bytes: 2000,
      refused: 0,
      answered: 2,
      unanswered: 0,
    })
    expect(first.spansByName).toEqual({ 'node process': 2, 'POST /agents/:path': 2 })
  })

  it('calls delivery complete only with a trace for every answered request and no more than were in flight besides', () => {
    const delivery = { ...addTraces(undefined, stats(400, 100, {}), 0), answered: 90 }
    expect(tracesComplete(delivery, 10)).toBe(true)
    expect(tracesComplete(delivery, 9)).toBe(false)
    expect(tracesComplete({ ...delivery, answered: 101 }, 10)).toBe(false)
    expect(tracesComplete({ ...delivery, refused: 1 }, 10)).toBe(false)
    // A request that timed out may have run and been traced all the same.
    expect(tracesComplete({ ...delivery, unanswered: 1 }, 9)).toBe(true)
  })
})
