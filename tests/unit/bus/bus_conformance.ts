import type { BusEnvelope, MessageBus } from '../../../framework/contracts/bus'
import { Registry } from 'prom-client'
import { busMetrics, type BusMetrics } from '../../../framework/bus/bus_metrics'
import type { BusOptions } from '../../../framework/bus/bus_options'

/** Builds a bus on fresh storage (a new key prefix on Redis) reporting to `metrics`; the suite closes it. */
export type BusFactory = (options: Partial<BusOptions> & { metrics: BusMetrics }) => Promise<MessageBus>

export async function eventually(check: () => void | Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      await check()
      return
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }
}

/** A promise the test opens when it chooses: a handler waiting on it is a subscriber that has fallen behind. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void
  const wait = new Promise<void>((resolve) => (open = resolve))
  return { wait, open }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The behaviour every bus driver must show, run against each one (memory in
 * tests/unit, redis on a real Redis in tests/integration).
 */
export function busConformance(create: BusFactory): void {
  const buses: MessageBus[] = []
  const make = async (options: Partial<BusOptions> & { metrics?: BusMetrics } = {}) => {
    const bus = await create({ retryBaseMs: 5, retryMaxMs: 20, drainTimeoutMs: 2000, metrics: busMetrics(new Registry()), ...options })
    buses.push(bus)
    return bus
  }
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((bus) => bus.close()))
  })

  describe('ordering', () => {
    it('delivers a topic’s messages to a subscriber in the order they were published, concurrent publishes included', async () => {
      const bus = await make()
      const seen: number[] = []
      await bus.subscribe<number, void>('orders', (n) => void seen.push(n))
      for (const n of range(20)) await bus.publish('orders', n)
      await Promise.all(range(20).map((n) => bus.publish('orders', 20 + n)))
      await eventually(() => expect(seen).toHaveLength(40))
      expect(seen).toEqual(range(40))
    })

    it('hands the handler the payload as JSON and an envelope naming the topic and the attempt', async () => {
      const bus = await make()
      const got: Array<[unknown, BusEnvelope]> = []
      await bus.subscribe('shapes', (payload, envelope) => void got.push([payload, envelope]))
      await bus.publish('shapes', { at: new Date(0), list: [1, 'two'], nothing: undefined })
      await eventually(() => expect(got).toHaveLength(1))
      expect(got[0][0]).toEqual({ at: '1970-01-01T00:00:00.000Z', list: [1, 'two'] })
      expect(got[0][1]).toMatchObject({ topic: 'shapes', attempt: 1, id: expect.any(String), publishedAt: expect.any(Number) })
    })

    it('refuses a topic name that could not be a key or a label', async () => {
      const bus = await make()
      await expect(bus.publish('has space', 1)).rejects.toMatchObject({ code: 'E_INVALID_NAME' })
      await expect(bus.subscribe('ok', () => undefined, { group: '*' })).rejects.toMatchObject({ code: 'E_INVALID_NAME' })
    })
  })

  describe('fan-out', () => {
    it('gives every subscription of its own, and every group, each message once', async () => {
      const bus = await make()
      const seen: Record<string, number[]> = { a: [], b: [], g1: [], g2: [] }
      await bus.subscribe<number, void>('news', (n) => void seen.a.push(n))
      await bus.subscribe<number, void>('news', (n) => void seen.b.push(n))
      await bus.subscribe<number, void>('news', (n) => void seen.g1.push(n), { group: 'indexer' })
      await bus.subscribe<number, void>('news', (n) => void seen.g2.push(n), { group: 'mailer' })
      for (const n of range(10)) await bus.publish('news', n)
      await eventually(() => expect(Object.values(seen).map((list) => list.length)).toEqual([10, 10, 10, 10]))
      for (const list of Object.values(seen)) expect(list).toEqual(range(10))
    })

    it('shares a group’s messages among its subscriptions: each message is handled by exactly one', async () => {
      const bus = await make()
      const byWorker: number[][] = [[], []]
      for (const worker of [0, 1]) {
        await bus.subscribe<number, void>(
          'jobs',
          async (n) => {
            byWorker[worker].push(n)
            await sleep(5)
          },
          { group: 'workers' },
        )
      }
      for (const n of range(30)) await bus.publish('jobs', n)
      await eventually(() => expect(byWorker[0].length + byWorker[1].length).toBe(30))
      await sleep(50)
      expect([...byWorker[0], ...byWorker[1]].sort((x, y) => x - y)).toEqual(range(30))
      expect(byWorker[0].length).toBeGreaterThan(0)
      expect(byWorker[1].length).toBeGreaterThan(0)
    })
  })

  describe('concurrency', () => {
    it('runs at most `concurrency` handlers of a subscription at once, and uses them all', async () => {
      const bus = await make()
      let running = 0
      let most = 0
      let done = 0
      await bus.subscribe(
        'work',
        async () => {
          running += 1
          most = Math.max(most, running)
          await sleep(30)
          running -= 1
          done += 1
        },
        { concurrency: 3 },
      )
      for (const n of range(12)) await bus.publish('work', n)
      await eventually(() => expect(done).toBe(12))
      expect(most).toBe(3)
    })
  })

  describe('backpressure', () => {
    it('refuses at once with E_BUS_FULL when a slow subscriber’s queue is full (BUS_ON_FULL=refuse), and delivers every accepted message once, in order', async () => {
      const bus = await make({ maxQueue: 5, onFull: 'refuse' })
      const slow = gate()
      const seen: number[] = []
      await bus.subscribe<number, void>('flood', async (n) => {
        await slow.wait
        seen.push(n)
      })
      const started = Date.now()
      const results = await Promise.allSettled(range(20).map((n) => bus.publish('flood', n)))
      expect(Date.now() - started).toBeLessThan(2000)
      const accepted = range(20).filter((n) => results[n].status === 'fulfilled')
      const refused = results.filter((result) => result.status === 'rejected') as PromiseRejectedResult[]
      expect(accepted).toEqual([0, 1, 2, 3, 4])
      expect(refused).toHaveLength(15)
      for (const result of refused) expect(result.reason).toMatchObject({ code: 'E_BUS_FULL' })
      expect(await bus.depth('flood')).toBe(5)
      slow.open()
      await eventually(() => expect(seen).toHaveLength(5))
      await sleep(100)
      expect(seen).toEqual(accepted)
      await eventually(async () => expect(await bus.depth('flood')).toBe(0))
    })

    it('makes publishers wait for room under a flood (BUS_ON_FULL=wait): depth never exceeds the bound, nothing is lost or duplicated', async () => {
      const bus = await make({ maxQueue: 4, onFull: 'wait', publishTimeoutMs: 20_000 })
      const seen: number[] = []
      let deepest = 0
      let sampling = true
      const sampler = (async () => {
        while (sampling) {
          deepest = Math.max(deepest, await bus.depth('flood'))
          await sleep(2)
        }
      })()
      await bus.subscribe<number, void>('flood', async (n) => {
        await sleep(5)
        seen.push(n)
      })
      await Promise.all(range(40).map((n) => bus.publish('flood', n)))
      await eventually(() => expect(seen).toHaveLength(40))
      sampling = false
      await sampler
      await sleep(50)
      expect(seen).toEqual(range(40))
      expect(deepest).toBeGreaterThanOrEqual(3)
      expect(deepest).toBeLessThanOrEqual(4)
    })

    it('gives up waiting after the publish timeout with E_BUS_FULL', async () => {
      const bus = await make({ maxQueue: 2, onFull: 'wait', publishTimeoutMs: 60_000 })
      const slow = gate()
      await bus.subscribe('stuck', () => slow.wait)
      await bus.publish('stuck', 1)
      await bus.publish('stuck', 2)
      const started = Date.now()
      await expect(bus.publish('stuck', 3, { timeoutMs: 300 })).rejects.toMatchObject({ code: 'E_BUS_FULL' })
      expect(Date.now() - started).toBeGreaterThanOrEqual(250)
      slow.open()
    })
  })

  describe('retries and dead letters', () => {
    it('retries a failing handler up to BUS_MAX_ATTEMPTS, then dead-letters the message where it can be read', async () => {
      const bus = await make({ maxAttempts: 3 })
      const attempts: number[] = []
      await bus.subscribe<{ n: number }, void>(
        'fragile',
        (payload, envelope) => {
          attempts.push(envelope.attempt)
          throw new Error(`cannot handle ${payload.n}`)
        },
        { group: 'handlers' },
      )
      await bus.publish('fragile', { n: 7 })
      await eventually(async () => expect(await bus.deadLetters('fragile')).toHaveLength(1))
      expect(attempts).toEqual([1, 2, 3])
      const [dead] = await bus.deadLetters('fragile')
      expect(dead).toMatchObject({ topic: 'fragile', group: 'handlers', payload: { n: 7 }, attempts: 3, error: 'cannot handle 7' })
      await sleep(50)
      expect(attempts).toEqual([1, 2, 3])
      await eventually(async () => expect(await bus.depth('fragile')).toBe(0))
    })

    it('delivers a message whose handler succeeds on a later attempt, and dead-letters nothing', async () => {
      const bus = await make({ maxAttempts: 3 })
      const done: number[] = []
      await bus.subscribe<number, void>('flaky', (n, envelope) => {
        if (envelope.attempt < 3) throw new Error('not yet')
        done.push(n)
      })
      await bus.publish('flaky', 1)
      await eventually(() => expect(done).toEqual([1]))
      expect(await bus.deadLetters('flaky')).toEqual([])
    })
  })

  describe('request/reply', () => {
    it('answers a request with the handler’s return value', async () => {
      const bus = await make()
      await bus.subscribe<{ x: number }, { doubled: number }>('math', ({ x }) => ({ doubled: x * 2 }), { group: 'calculators' })
      await expect(bus.request('math', { x: 21 }, { timeoutMs: 5000 })).resolves.toEqual({ doubled: 42 })
      const answers = await Promise.all(range(5).map((x) => bus.request<{ x: number }, { doubled: number }>('math', { x }, { timeoutMs: 5000 })))
      expect(answers.map((answer) => answer.doubled)).toEqual([0, 2, 4, 6, 8])
    })

    it('fails with E_BUS_TIMEOUT when no reply comes in time', async () => {
      const bus = await make()
      await expect(bus.request('nobody', {}, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'E_BUS_TIMEOUT' })
      const slow = gate()
      await bus.subscribe('slow', () => slow.wait)
      const started = Date.now()
      await expect(bus.request('slow', {}, { timeoutMs: 300 })).rejects.toMatchObject({ code: 'E_BUS_TIMEOUT' })
      expect(Date.now() - started).toBeGreaterThanOrEqual(250)
      slow.open()
    })

    it('fails with E_BUS_HANDLER_FAILED once the handler is dead-lettered', async () => {
      const bus = await make({ maxAttempts: 2 })
      await bus.subscribe('broken', () => {
        throw new Error('boom')
      })
      await expect(bus.request('broken', {}, { timeoutMs: 5000 })).rejects.toMatchObject({ code: 'E_BUS_HANDLER_FAILED' })
      expect(await bus.deadLetters('broken')).toHaveLength(1)
    })
  })

  describe('replies JSON cannot carry', () => {
    it('fails the request with E_BUS_HANDLER_FAILED naming the problem, yet handles the message once: no retry, no dead letter, no wedged topic', async () => {
      const bus = await make({ maxQueue: 2, onFull: 'refuse', maxAttempts: 3, claimIdleMs: 300 })
      let runs = 0
      await bus.subscribe(
        'unsendable',
        (kind: string) => {
          runs += 1
          if (kind === 'bigint') return 10n
          if (kind === 'function') return () => 1
          const cycle: Record<string, unknown> = {}
          cycle.self = cycle
          return cycle
        },
        { group: 'g' },
      )
      for (const kind of ['bigint', 'function', 'cycle']) {
        const failure = await bus.request('unsendable', kind, { timeoutMs: 5000 }).then(
          () => undefined,
          (error: unknown) => error,
        )
        expect(failure).toMatchObject({ code: 'E_BUS_HANDLER_FAILED', message: expect.stringContaining('cannot be sent') })
      }
      // A plain publish wants no reply: what the handler returns is never encoded.
      await bus.publish('unsendable', 'function')
      await eventually(() => expect(runs).toBe(4))
      await eventually(async () => expect(await bus.depth('unsendable')).toBe(0))
      // Past BUS_CLAIM_IDLE_MS: nothing left pending to be reclaimed and run again.
      await sleep(800)
      expect(runs).toBe(4)
      expect(await bus.deadLetters('unsendable')).toEqual([])
      await bus.publish('unsendable', 'bigint')
      await bus.publish('unsendable', 'bigint')
      await eventually(() => expect(runs).toBe(6))
    })
  })

  describe('argument checks', () => {
    it('refuses a timeout a timer cannot hold (above 2^31-1 ms, negative, not finite) with E_INVALID_INPUT instead of firing at once', async () => {
      const bus = await make({ maxQueue: 1 })
      const slow = gate()
      await bus.subscribe('timed', () => slow.wait)
      for (const timeoutMs of [3_000_000_000, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expect(bus.request('timed', 1, { timeoutMs })).rejects.toMatchObject({ code: 'E_INVALID_INPUT' })
        await expect(bus.publish('timed', 1, { timeoutMs })).rejects.toMatchObject({ code: 'E_INVALID_INPUT' })
      }
      await expect(bus.publish('timed', 1, { timeoutMs: 2_147_483_647 })).resolves.toBeUndefined()
      slow.open()
    })

    it('reads no dead letters with limit 0, the newest ones with a positive limit', async () => {
      const bus = await make({ maxAttempts: 1 })
      await bus.subscribe('doomed', () => {
        throw new Error('no')
      })
      for (const n of [1, 2, 3]) await bus.publish('doomed', n)
      await eventually(async () => expect(await bus.deadLetters('doomed')).toHaveLength(3))
      expect(await bus.deadLetters('doomed', { limit: 0 })).toEqual([])
      expect((await bus.deadLetters('doomed', { limit: 2 })).map((letter) => letter.payload)).toEqual([2, 3])
      await expect(bus.deadLetters('doomed', { limit: -1 })).rejects.toMatchObject({ code: 'E_INVALID_INPUT' })
    })

    it('fails a request on a closed bus with E_BUS_CLOSED', async () => {
      const bus = await make()
      await bus.close()
      await expect(bus.request('late', 1, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'E_BUS_CLOSED' })
    })
  })

  describe('metrics', () => {
    it('counts published, delivered, retried, dead-lettered and refused messages by topic, and the queue depth', async () => {
      const registry = new Registry()
      const bus = await make({ metrics: busMetrics(registry), maxQueue: 2, onFull: 'refuse', maxAttempts: 2 })
      const value = async (name: string, topic: string) =>
        (await registry.getSingleMetric(name)?.get())?.values.find((sample) => sample.labels.topic === topic)?.value ?? 0
      const slow = gate()
      await bus.subscribe<number, void>('counted', async (n) => {
        await slow.wait
        if (n === 1) throw new Error('odd')
      })
      await bus.publish('counted', 0)
      await bus.publish('counted', 1)
      await expect(bus.publish('counted', 2)).rejects.toMatchObject({ code: 'E_BUS_FULL' })
      expect(await bus.depth('counted')).toBe(2)
      expect(await value('langvel_bus_queue_depth', 'counted')).toBe(2)
      slow.open()
      await eventually(async () => expect(await value('langvel_bus_dead_lettered_total', 'counted')).toBe(1))
      expect(await value('langvel_bus_published_total', 'counted')).toBe(2)
      expect(await value('langvel_bus_delivered_total', 'counted')).toBe(1)
      expect(await value('langvel_bus_retried_total', 'counted')).toBe(1)
      expect(await value('langvel_bus_refused_total', 'counted')).toBe(1)
      await eventually(async () => expect(await bus.depth('counted')).toBe(0))
      expect(await value('langvel_bus_queue_depth', 'counted')).toBe(0)
    })
  })

  describe('closing', () => {
    it('lets handlers in flight finish before unsubscribe resolves, and delivers nothing after', async () => {
      const bus = await make()
      const finished: number[] = []
      const started: number[] = []
      const subscription = await bus.subscribe<number, void>('drain', async (n) => {
        started.push(n)
        await sleep(200)
        finished.push(n)
      })
      await bus.publish('drain', 1)
      await eventually(() => expect(started).toEqual([1]))
      await subscription.unsubscribe()
      expect(finished).toEqual([1])
      await bus.publish('drain', 2)
      await sleep(100)
      expect(started).toEqual([1])
    })

    it('hands a message still being retried when its subscription closes to another subscription of the group', async () => {
      const bus = await make({ maxAttempts: 5, retryBaseMs: 2000, retryMaxMs: 2000, drainTimeoutMs: 100, claimIdleMs: 300 })
      let failed = 0
      const leaving = await bus.subscribe(
        'handover',
        () => {
          failed += 1
          throw new Error('not me')
        },
        { group: 'g' },
      )
      await bus.publish('handover', { job: 1 })
      await eventually(() => expect(failed).toBe(1))
      const taken: unknown[] = []
      await bus.subscribe('handover', (payload) => void taken.push(payload), { group: 'g' })
      await leaving.unsubscribe()
      await eventually(() => expect(taken).toEqual([{ job: 1 }]))
      expect(failed).toBe(1)
      expect(await bus.deadLetters('handover')).toEqual([])
    })

    it('bounds the drain: close returns after BUS_DRAIN_TIMEOUT_MS even when a handler never ends', async () => {
      const bus = await make({ drainTimeoutMs: 300 })
      const never = gate()
      let started = false
      await bus.subscribe('hang', () => {
        started = true
        return never.wait
      })
      await bus.publish('hang', 1)
      await eventually(() => expect(started).toBe(true))
      const closing = Date.now()
      await bus.close()
      expect(Date.now() - closing).toBeLessThan(3000)
      await expect(bus.publish('hang', 2)).rejects.toMatchObject({ code: 'E_BUS_CLOSED' })
      never.open()
    })
  })
}
