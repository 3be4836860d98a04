import { MemoryRunEvents } from '../../../framework/run_events/memory_run_events'
import { collect, runEventsConformance } from './run_events_conformance'

describe('MemoryRunEvents', () => {
  runEventsConformance(async (options) => new MemoryRunEvents(options))

  it('keeps exactly maxEventsPerRun events of a run', async () => {
    const log = new MemoryRunEvents({ maxEventsPerRun: 3 })
    for (let n = 0; n < 10; n++) await log.append('run', { event: 'values', data: n })
    expect((await collect(log.read('run', { follow: false }))).map((event) => event.data)).toEqual([7, 8, 9])
  })

  it('keeps at most maxRuns runs, dropping the least recently used, whose live readers end with E_RUN_EVENTS_EXPIRED', async () => {
    const log = new MemoryRunEvents({ maxRuns: 2 })
    await log.append('a', { event: 'values', data: 'a' })
    const seen: unknown[] = []
    const reading = collect(log.read('a'), (event) => void seen.push(event.data))
    await new Promise((resolve) => setTimeout(resolve, 10))
    await log.append('b', { event: 'values', data: 'b' })
    await log.append('c', { event: 'values', data: 'c' })
    await expect(reading).rejects.toMatchObject({ code: 'E_RUN_EVENTS_EXPIRED', status: 410 })
    expect(seen).toEqual(['a'])
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

  it('ends readers of an ended run quietly when it is evicted', async () => {
    const log = new MemoryRunEvents({ maxRuns: 1 })
    await log.append('a', { event: 'values', data: 1 })
    await log.append('a', { event: 'values', data: 2 })
    await log.end('a')
    // Evicted while its reader is between two events.
    const events = await collect(log.read('a'), async (event) => {
      if (event.data === 1) await log.append('b', { event: 'values', data: 'b' })
    })
    expect(events.map((event) => event.data)).toEqual([1, 2])
  })

  it('keeps about maxBytes of events across runs, dropping the least recently used runs and a run\'s oldest events', async () => {
    const data = 'x'.repeat(1000)
    const log = new MemoryRunEvents({ maxBytes: 10_000, maxEventBytes: 2000 })
    for (let n = 0; n < 5; n++) await log.append('old', { event: 'values', data })
    for (let n = 0; n < 5; n++) await log.append('new', { event: 'values', data })
    // 'old' made room for 'new'.
    expect(await collect(log.read('old', { follow: false }))).toEqual([])
    expect(await collect(log.read('new', { follow: false }))).toHaveLength(5)
    // One run alone past the budget keeps only its latest events.
    for (let n = 0; n < 30; n++) await log.append('big', { event: 'values', data: `${n}`.padEnd(1000, '.') })
    const kept = (await collect(log.read('big', { follow: false }))).map((event) => Number.parseInt(event.data as string, 10))
    expect(kept.length).toBeGreaterThan(0)
    expect(kept.length).toBeLessThan(10)
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 30 - kept.length + i))
  })

  it('trims a long run without keeping the trimmed events around', async () => {
    const log = new MemoryRunEvents({ maxEventsPerRun: 3 })
    for (let n = 0; n < 5000; n++) await log.append('run', { event: 'values', data: n })
    expect((await collect(log.read('run', { follow: false }))).map((event) => event.data)).toEqual([4997, 4998, 4999])
    const stored = (log as unknown as { runs: { get(id: string): { events: unknown[] } } }).runs.get('run')
    expect(stored.events.length).toBeLessThan(200)
  })

  it('gives events of the same millisecond increasing sequence numbers', async () => {
    const log = new MemoryRunEvents({ now: () => 1_700_000_000_000 })
    const ids = [await log.append('run', { event: 'values' }), await log.append('run', { event: 'values' })]
    expect(ids).toEqual(['1700000000000-0', '1700000000000-1'])
  })
})
