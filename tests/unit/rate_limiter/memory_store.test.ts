import { MemoryStore } from '../../../framework/rate_limiter/memory_store'

class Clock {
  ms = 1_000_000
  now = () => this.ms
}

describe('MemoryStore (sliding window)', () => {
  it('lets exactly the limit through among 200 concurrent attempts', async () => {
    const store = new MemoryStore()
    const results = await Promise.all(Array.from({ length: 200 }, () => store.hit('k', 10, 60_000)))
    expect(results.filter((result) => result.allowed)).toHaveLength(10)
    expect(results.filter((result) => !result.allowed).every((result) => result.remaining === 0 && result.retryAfterMs > 0)).toBe(true)
  })

  it('counts remaining, and frees a slot exactly when the oldest request leaves the window', async () => {
    const clock = new Clock()
    const store = new MemoryStore({ now: clock.now })
    const first = await store.hit('k', 3, 10_000)
    expect(first).toEqual({ allowed: true, limit: 3, remaining: 2, resetAt: clock.ms + 10_000, retryAfterMs: 0 })
    clock.ms += 4000
    await store.hit('k', 3, 10_000)
    await store.hit('k', 3, 10_000)
    const refused = await store.hit('k', 3, 10_000)
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 6000 })

    clock.ms += 5999
    expect((await store.hit('k', 3, 10_000)).allowed).toBe(false)
    clock.ms += 1
    // The first request left the window: one slot, no more (a sliding window, not a fixed one).
    expect(await store.hit('k', 3, 10_000)).toMatchObject({ allowed: true, remaining: 0 })
    expect((await store.hit('k', 3, 10_000)).allowed).toBe(false)
  })

  it('does not count refused requests', async () => {
    const clock = new Clock()
    const store = new MemoryStore({ now: clock.now })
    await store.hit('k', 1, 1000)
    for (let i = 0; i < 5; i++) await store.hit('k', 1, 1000)
    clock.ms += 1000
    expect((await store.hit('k', 1, 1000)).allowed).toBe(true)
  })

  it('keeps separate counters per key, and clear() resets one', async () => {
    const store = new MemoryStore()
    await store.hit('a', 1, 60_000)
    expect((await store.hit('a', 1, 60_000)).allowed).toBe(false)
    expect((await store.hit('b', 1, 60_000)).allowed).toBe(true)
    await store.clear('a')
    expect((await store.hit('a', 1, 60_000)).allowed).toBe(true)
  })

  describe('hitAll (one request against several windows)', () => {
    const windows = [
      { key: 'wide', max: 100, windowMs: 60_000 },
      { key: 'narrow', max: 2, windowMs: 60_000 },
    ]

    it('counts a request on every window or on none: refused requests use up nothing', async () => {
      const store = new MemoryStore()
      const outcomes = []
      for (let i = 0; i < 10; i++) outcomes.push(await store.hitAll(windows))
      expect(outcomes.map((results) => results.every((result) => result.allowed))).toEqual([true, true, false, false, false, false, false, false, false, false])
      const refused = outcomes[9]
      expect(refused[0]).toMatchObject({ allowed: true, limit: 100, remaining: 98, retryAfterMs: 0 })
      expect(refused[1]).toMatchObject({ allowed: false, limit: 2, remaining: 0 })
      expect(refused[1].retryAfterMs).toBeGreaterThan(0)
      // The wide window holds the 2 counted requests, not the 10 attempts.
      expect(await store.hit('wide', 100, 60_000)).toMatchObject({ allowed: true, remaining: 97 })
    })

    it('stays exact under concurrency: of 200 requests against 100 and 10, exactly 10 pass and the 100-window shows 10', async () => {
      const store = new MemoryStore()
      const hits = [
        { key: 'wide', max: 100, windowMs: 60_000 },
        { key: 'narrow', max: 10, windowMs: 60_000 },
      ]
      const outcomes = await Promise.all(Array.from({ length: 200 }, () => store.hitAll(hits)))
      expect(outcomes.filter((results) => results.every((result) => result.allowed))).toHaveLength(10)
      expect(await store.hit('wide', 100, 60_000)).toMatchObject({ allowed: true, remaining: 89 })
    })

    it('counts a key given twice once, and frees every window as its own requests leave it', async () => {
      const clock = new Clock()
      const store = new MemoryStore({ now: clock.now })
      const twice = [
        { key: 'k', max: 3, windowMs: 1000 },
        { key: 'k', max: 3, windowMs: 1000 },
      ]
      expect((await store.hitAll(twice)).map((result) => result.remaining)).toEqual([2, 2])
      const mixed = [
        { key: 'second', max: 1, windowMs: 1000 },
        { key: 'minute', max: 5, windowMs: 60_000 },
      ]
      expect((await store.hitAll(mixed)).every((result) => result.allowed)).toBe(true)
      expect((await store.hitAll(mixed)).map((result) => result.allowed)).toEqual([false, true])
      clock.ms += 1000
      expect(await store.hitAll(mixed)).toMatchObject([{ allowed: true }, { allowed: true, remaining: 3 }])
    })
  })

  it('forgets keys whose window has passed and never holds more than maxKeys', async () => {
    const clock = new Clock()
    const store = new MemoryStore({ now: clock.now, maxKeys: 100 })
    for (let i = 0; i < 50; i++) await store.hit(`old-${i}`, 5, 1000)
    clock.ms += 1000
    for (let i = 0; i < 30; i++) await store.hit(`new-${i}`, 5, 1000)
    // Each hit sweeps expired keys from the least recently used end.
    expect(store.size).toBe(30)

    for (let i = 0; i < 500; i++) await store.hit(`flood-${i}`, 5, 60_000)
    expect(store.size).toBe(100)
  })
})
