import { StatusCache } from '../../../framework/auth/status_cache'
import { Clock } from './helpers'

/** A lookup the test finishes by hand, counting how often the store was asked. */
function store<V>() {
  const pending: Array<(value: V) => void> = []
  const load = jest.fn(() => new Promise<V>((resolve) => pending.push(resolve)))
  return { load, answer: (value: V) => pending.shift()?.(value) }
}

describe('StatusCache', () => {
  it('shares one store lookup among lookups of the same key running at the same time', async () => {
    const cache = new StatusCache<boolean>(0)
    const revoked = store<boolean>()
    const answers = Promise.all([cache.get('jti-1', revoked.load), cache.get('jti-1', revoked.load), cache.get('jti-1', revoked.load)])
    revoked.answer(true)
    await expect(answers).resolves.toEqual([true, true, true])
    expect(revoked.load).toHaveBeenCalledTimes(1)
  })

  it('with a ttl of 0 keeps no answer: the next lookup asks the store again', async () => {
    const cache = new StatusCache<boolean>(0)
    const load = jest.fn(async () => false)
    await cache.get('jti-1', load)
    await cache.get('jti-1', load)
    expect(load).toHaveBeenCalledTimes(2)
  })

  it('reuses an answer for less than ttlMs, counted from when its lookup started', async () => {
    const clock = new Clock()
    const cache = new StatusCache<boolean>(1000, 100, clock.now)
    const revoked = store<boolean>()
    const first = cache.get('jti-1', revoked.load)
    clock.ms += 400
    revoked.answer(false)
    await first

    const load = jest.fn(async () => true)
    clock.ms += 599
    await expect(cache.get('jti-1', load)).resolves.toBe(false)
    clock.ms += 1
    await expect(cache.get('jti-1', load)).resolves.toBe(true)
    expect(load).toHaveBeenCalledTimes(1)
  })

  it('does not keep what `cacheable` refuses (an unknown key is looked up again)', async () => {
    const cache = new StatusCache<string | undefined>(1000, 100, new Clock().now)
    const load = jest.fn(async () => undefined)
    await cache.get('hash', load, (value) => value !== undefined)
    await cache.get('hash', load, (value) => value !== undefined)
    expect(load).toHaveBeenCalledTimes(2)
  })

  it('can keep an undefined answer when `cacheable` allows it', async () => {
    const cache = new StatusCache<string | undefined>(1000, 100, new Clock().now)
    const load = jest.fn(async () => undefined)
    await cache.get('hash', load)
    await expect(cache.get('hash', load)).resolves.toBeUndefined()
    expect(load).toHaveBeenCalledTimes(1)
  })

  it('lets a local change win over a lookup in flight, whose answer is then not kept', async () => {
    const clock = new Clock()
    const cache = new StatusCache<boolean>(1000, 100, clock.now)
    const stale = store<boolean>()
    const inFlight = cache.get('jti-1', stale.load)
    cache.set('jti-1', true)
    stale.answer(false)
    await expect(inFlight).resolves.toBe(false)
    await expect(cache.get('jti-1', async () => false)).resolves.toBe(true)
  })

  it('forgets the answers deleteWhere picks, and clear forgets all', async () => {
    const cache = new StatusCache<{ id: string }>(1000, 100, new Clock().now)
    await cache.get('h1', async () => ({ id: 'key-1' }))
    await cache.get('h2', async () => ({ id: 'key-2' }))
    cache.deleteWhere((record) => record.id === 'key-1')
    const load = jest.fn(async () => ({ id: 'fresh' }))
    await expect(cache.get('h1', load)).resolves.toEqual({ id: 'fresh' })
    await expect(cache.get('h2', load)).resolves.toEqual({ id: 'key-2' })
    cache.clear()
    await expect(cache.get('h2', load)).resolves.toEqual({ id: 'fresh' })
    expect(load).toHaveBeenCalledTimes(2)
  })

  it('holds at most maxEntries answers, dropping the least recently used', async () => {
    const cache = new StatusCache<number>(60_000, 2, new Clock().now)
    await cache.get('a', async () => 1)
    await cache.get('b', async () => 2)
    await cache.get('a', async () => -1)
    await cache.get('c', async () => 3)
    const load = jest.fn(async () => 0)
    await expect(cache.get('a', load)).resolves.toBe(1)
    await expect(cache.get('c', load)).resolves.toBe(3)
    await expect(cache.get('b', load)).resolves.toBe(0)
    expect(load).toHaveBeenCalledTimes(1)
  })
})
