import { AggregatorRegistry, Registry } from 'prom-client'
import { busMetrics } from '../../../framework/bus/bus_metrics'

describe('bus metrics', () => {
  it('are created once per registry', () => {
    const registry = new Registry()
    expect(busMetrics(registry)).toBe(busMetrics(registry))
  })

  it('report the deepest queue across cluster workers, and sum the counters', async () => {
    const workers = [new Registry(), new Registry()]
    const [first, second] = workers.map((registry) => busMetrics(registry))
    first.depth.set({ topic: 'orders' }, 7)
    second.depth.set({ topic: 'orders' }, 3)
    first.published.inc({ topic: 'orders' }, 2)
    second.published.inc({ topic: 'orders' }, 5)
    const merged = AggregatorRegistry.aggregate(await Promise.all(workers.map((registry) => registry.getMetricsAsJSON())))
    const value = async (name: string) => (await merged.getSingleMetric(name)?.get())?.values.find((sample) => sample.labels.topic === 'orders')?.value
    expect(await value('langvel_bus_queue_depth')).toBe(7)
    expect(await value('langvel_bus_published_total')).toBe(7)
  })
})
