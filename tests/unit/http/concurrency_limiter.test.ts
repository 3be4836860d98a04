import { ConcurrencyLimiter } from '../../../framework/http/concurrency_limiter'

describe('ConcurrencyLimiter', () => {
  it('grants slots up to the limit, then queues in arrival order', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrent: 1, maxQueue: 2 })
    const first = await limiter.acquire()
    const order: string[] = []
    const second = limiter.acquire().then((release) => (order.push('second'), release))
    const third = limiter.acquire().then((release) => (order.push('third'), release))
    expect(limiter.active).toBe(1)
    expect(limiter.queued).toBe(2)
    first()
    ;(await second)()
    ;(await third)()
    expect(order).toEqual(['second', 'third'])
    expect(limiter.active).toBe(0)
    expect(limiter.queued).toBe(0)
  })

  it('refuses at once with E_OVERLOADED when every slot is taken and the queue is full', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrent: 1, maxQueue: 0 })
    const release = await limiter.acquire()
    await expect(limiter.acquire()).rejects.toMatchObject({ code: 'E_OVERLOADED', status: 503 })
    release()
    const again = await limiter.acquire()
    again()
  })

  it('drops a waiter whose signal aborts, with the abort reason', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrent: 1, maxQueue: 1 })
    const release = await limiter.acquire()
    const controller = new AbortController()
    const waiting = limiter.acquire(controller.signal)
    controller.abort(new Error('gone'))
    await expect(waiting).rejects.toThrow('gone')
    expect(limiter.queued).toBe(0)
    release()
    expect(limiter.active).toBe(0)
  })

  it('ignores a second release of the same slot', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrent: 2, maxQueue: 0 })
    const release = await limiter.acquire()
    await limiter.acquire()
    release()
    release()
    expect(limiter.active).toBe(1)
  })

  it('reports every change for the gauges', async () => {
    const seen: Array<[number, number]> = []
    const limiter = new ConcurrencyLimiter({ maxConcurrent: 1, maxQueue: 1, onChange: (active, queued) => seen.push([active, queued]) })
    const release = await limiter.acquire()
    const next = limiter.acquire()
    release()
    ;(await next)()
    expect(seen).toEqual([
      [1, 0],
      [1, 1],
      [1, 0],
      [0, 0],
    ])
  })
})
