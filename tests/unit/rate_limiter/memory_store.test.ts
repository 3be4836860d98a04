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
