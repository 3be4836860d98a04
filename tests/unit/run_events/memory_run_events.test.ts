import { MemoryRunEvents } from '../../../framework/run_events/memory_run_events'
import { collect, runEventsConformance } from './run_events_conformance'

describe('MemoryRunEvents', () => {
  runEventsConformance(async (options) => new MemoryRunEvents(options))

  it('keeps exactly maxEventsPerRun events of a run', async () => {
    const log = new MemoryRunEvents({ maxEventsPerRun: 3 })
    for (let n = 0; n < 10; n++) await log.append('run', { event: 'values', data: n })
    expect((await collect(log.read('run', { follow: false }))).map((event) => event.data)).toEqual([7, 8, 9])
  })

  it('keeps at most maxRuns runs, dropping the least recently used, whose live readers end', async () => {
    const log = new MemoryRunEvents({ maxRuns: 2 })
    await log.append('a', { event: 'values', data: 'a' })
    const reading = collect(log.read('a'))
    await log.append('b', { event: 'values', data: 'b' })
    await log.append('c', { event: 'values', data: 'c' })
    expect((await reading).map((event) => event.data)).toEqual(['a'])
    expect(await collect(log.read('a', { follow: false }))).toEqual([])
    expect((await collect(log.read('c', { follow: false }))).map((event) => event.data)).toEqual(['c'])
  })

  it('keeps no run for reads of unknown run ids, so they never evict a real run', async () => {
    const log = new MemoryRunEvents({ maxRuns: 2 })
    await log.append('real', { event: 'values', data: 1 })
    for (let n = 0; n < 10; n++) expect(await collect(log.read(`unknown-${n}`, { follow: false }))).toEqual([])
    const stop = new AbortController()
    const waiting = collect(log.read('queued', { signal: stop.signal }))
    await new Promise((resolve) => setTimeout(resolve, 20))
    stop.abort()
    expect(await waiting).toEqual([])
    expect((await collect(log.read('real', { follow: false }))).map((event) => event.data)).toEqual([1])
    expect((log as unknown as { awaiting: Map<string, unknown> }).awaiting.size).toBe(0)
  })

  it('times the retention on its clock', async () => {
    let now = 1_000_000
    const log = new MemoryRunEvents({ retentionSeconds: 60, now: () => now })
    await log.append('run', { event: 'values', data: 1 })
    await log.end('run')
    now += 59_000
    expect(await collect(log.read('run', { follow: false }))).toHaveLength(1)
    now += 2000
    expect(await collect(log.read('run', { follow: false }))).toEqual([])
  })

  it('gives events of the same millisecond increasing sequence numbers', async () => {
    const log = new MemoryRunEvents({ now: () => 1_700_000_000_000 })
    const ids = [await log.append('run', { event: 'values' }), await log.append('run', { event: 'values' })]
    expect(ids).toEqual(['1700000000000-0', '1700000000000-1'])
  })
})
