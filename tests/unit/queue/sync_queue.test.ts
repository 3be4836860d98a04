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
})
