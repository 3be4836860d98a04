import { randomUUID } from 'node:crypto'
import { Worker } from 'bullmq'
import { Redis } from 'ioredis'
import { Registry } from 'prom-client'
import { BullmqQueue } from '../../../framework/queue/bullmq_queue'
import { queueMetrics } from '../../../framework/queue/queue_metrics'
import { isRunLost } from '../../../framework/queue/run_released'
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

  const until = async (check: () => Promise<boolean> | boolean, ms = 15_000) => {
    const end = Date.now() + ms
    while (!(await check())) {
      if (Date.now() > end) throw new Error('condition not met in time')
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }

  it('reports a job that stalled more often than allowed to onFailed, without running its handler', async () => {
    const name = `s-${randomUUID()}`
    const queue = build(name, { maxStalled: 0 })
    // A worker that takes the job and dies: its lock lapses and it never finishes.
    // BullMQ leaves a connection it was given open when it closes: the test closes it.
    const doomedConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null })
    const doomed = new Worker(name, null, { connection: doomedConnection, prefix: `${prefix}queue`, lockDuration: 300 })
    try {
      await queue.enqueue('stalls')
      const job = await doomed.getNextJob('dead-worker-token')
      expect(job?.id).toBe('stalls')
      await doomed.close(true)
      const failures: unknown[] = []
      let handled = 0
      await queue.process(async () => {
        handled += 1
      }, { onFailed: (failure) => void failures.push(failure) })
      await until(() => failures.length === 1)
      expect(failures[0]).toMatchObject({ runId: 'stalls', stalled: true })
      expect(handled).toBe(0)
    } finally {
      await doomed.close(true).catch(() => undefined)
      doomedConnection.disconnect()
      await queue.close(100)
    }
  })

  it('stops a held run with a RunLost reason when its lock is lost to another worker', async () => {
    const name = `l-${randomUUID()}`
    const queue = build(name)
    const redis = new Redis(REDIS_URL)
    try {
      let reason: unknown
      let started = false
      await queue.process(async (job) => {
        started = true
        reason = await new Promise((resolve) => job.signal.addEventListener('abort', () => resolve(job.signal.reason), { once: true }))
      })
      await queue.enqueue('held')
      await until(() => started)
      // Another worker's token on the lock: this worker's next renewal fails.
      await redis.set(`${prefix}queue:${name}:held:lock`, 'another-worker', 'PX', 10_000)
      await until(() => reason !== undefined)
      expect(isRunLost(reason)).toBe(true)
      expect(reason).toMatchObject({ why: 'lock-lost' })
    } finally {
      redis.disconnect()
      await queue.close(100)
    }
  })

  it('lets go of a run that ignores its drain with a RunLost reason before closing by force', async () => {
    const queue = build(`f-${randomUUID()}`, { drainWaitMs: 100 })
    let reason: unknown
    let started = false
    await queue.process(async (job) => {
      started = true
      // Ignores job.drain; stops only when its signal is aborted.
      await new Promise<void>((resolve) => job.signal.addEventListener('abort', () => resolve((reason = job.signal.reason) && undefined), { once: true }))
    })
    await queue.enqueue('stubborn')
    await until(() => started)
    await queue.close(50)
    expect(isRunLost(reason)).toBe(true)
    expect(reason).toMatchObject({ why: 'closed' })
  })

  it('fails to start processing with E_SERVICE_UNAVAILABLE while Redis is unreachable, instead of hanging', async () => {
    const queue = new BullmqQueue({ url: 'redis://127.0.0.1:1', name: 'down-worker', metrics })
    try {
      await expect(queue.process(async () => undefined)).rejects.toMatchObject({ code: 'E_SERVICE_UNAVAILABLE', status: 503 })
    } finally {
      await queue.close(10)
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
