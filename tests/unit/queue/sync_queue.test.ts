import { Registry } from 'prom-client'
import { SyncQueue } from '../../../framework/queue/sync_queue'
import { queueMetrics } from '../../../framework/queue/queue_metrics'
import { runQueueConformance } from './queue_conformance'

runQueueConformance('sync', (overrides = {}) => new SyncQueue({ metrics: queueMetrics(new Registry()), ...overrides }))

describe('SyncQueue', () => {
  it('bounds the waiting runs: past QUEUE_SYNC_MAX_WAITING enqueue refuses with E_QUEUE_FULL', async () => {
    const queue = new SyncQueue({ syncMaxWaiting: 2, metrics: queueMetrics(new Registry()) })
    await queue.enqueue('a')
    await queue.enqueue('b')
    await expect(queue.enqueue('c')).rejects.toMatchObject({ code: 'E_QUEUE_FULL', status: 503 })
    await queue.close(10)
  })

  it('counts retried and failed runs, and reports jobs per state and workers on each scrape', async () => {
    const registry = new Registry()
    const queue = new SyncQueue({ name: 'metered', attempts: 2, backoffMs: 1, metrics: queueMetrics(registry) })
    await queue.process(async () => {
      throw new Error('boom')
    })
    await queue.enqueue('m-1')
    const deadline = Date.now() + 5000
    while ((await queue.counts()).failed === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
    const text = await registry.metrics()
    expect(text).toContain('langvel_queue_retried_total{queue="metered"} 1')
    expect(text).toContain('langvel_queue_failed_total{queue="metered"} 1')
    expect(text).toContain('langvel_queue_jobs{queue="metered",state="failed"} 1')
    expect(text).toContain('langvel_queue_workers{queue="metered"} 1')
    await queue.close(10)
  })
})
