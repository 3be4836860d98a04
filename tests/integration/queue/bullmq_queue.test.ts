import { randomUUID } from 'node:crypto'
import { Registry } from 'prom-client'
import { BullmqQueue } from '../../../framework/queue/bullmq_queue'
import { queueMetrics } from '../../../framework/queue/queue_metrics'
import { describeWithRedis, REDIS_URL } from '../../helpers/services'
import { runQueueConformance } from '../../unit/queue/queue_conformance'

const metrics = queueMetrics(new Registry())
const prefix = `langvel-test-${process.pid}:`
const build = (name: string, overrides: Record<string, unknown> = {}) =>
  new BullmqQueue({ url: REDIS_URL, prefix, name, metrics, lockMs: 2000, stalledIntervalMs: 1000, ...overrides })

describeWithRedis('BullmqQueue on Redis', () => {
  runQueueConformance('bullmq', (overrides = {}) => build(`q-${randomUUID()}`, overrides), (queue) => build(queue.name))

  it('counts the workers consuming the queue', async () => {
    const name = `w-${randomUUID()}`
    const a = build(name)
    const b = build(name)
    const observer = build(name)
    try {
      await a.process(async () => undefined)
      await b.process(async () => undefined)
      expect(await observer.workers()).toBe(2)
    } finally {
      await Promise.all([a.close(100), b.close(100), observer.close(100)])
    }
  })

  it('refuses to enqueue while Redis is unreachable with E_SERVICE_UNAVAILABLE, within its command bound', async () => {
    const queue = new BullmqQueue({ url: 'redis://127.0.0.1:1', name: 'down', metrics })
    try {
      await expect(queue.enqueue('run-1')).rejects.toMatchObject({ code: 'E_SERVICE_UNAVAILABLE', status: 503 })
    } finally {
      await queue.close(10)
    }
  })
})
