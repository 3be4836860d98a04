import { summarizeLatencies } from '../harness/percentiles'

describe('summarizeLatencies', () => {
  it('takes nearest-rank percentiles over the samples, in any order', () => {
    const samples = Array.from({ length: 100 }, (_, index) => 100 - index) // 100..1
    expect(summarizeLatencies(samples)).toEqual({ p50: 50, p95: 95, p99: 99, max: 100, mean: 50.5 })
  })

  it('gives the single value for one sample and zeros for none', () => {
    expect(summarizeLatencies([7.123])).toEqual({ p50: 7.12, p95: 7.12, p99: 7.12, max: 7.12, mean: 7.12 })
    expect(summarizeLatencies([])).toEqual({ p50: 0, p95: 0, p99: 0, max: 0, mean: 0 })
  })
})
