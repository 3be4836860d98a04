import { randomUUID } from 'node:crypto'
import type { RunEvent, RunEventLog } from '../../../framework/contracts/run_events'
import { compareEventIds, parseEventId } from '../../../framework/run_events/event_id'
import type { RunEventsOptions } from '../../../framework/run_events/run_events_options'

/** Builds a log on fresh storage (a new key prefix on Redis); the suite closes it. */
export type RunEventsFactory = (options: Partial<RunEventsOptions>) => Promise<RunEventLog>

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

/** Reads until the iteration ends; `onEvent` runs after each event is recorded. */
export async function collect(events: AsyncIterable<RunEvent>, onEvent?: (event: RunEvent, seen: RunEvent[]) => void | Promise<void>): Promise<RunEvent[]> {
  const seen: RunEvent[] = []
  for await (const event of events) {
    seen.push(event)
    await onEvent?.(event, seen)
  }
  return seen
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i)
const tick = () => new Promise((resolve) => setImmediate(resolve))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function expectIncreasing(events: RunEvent[]): void {
  for (let i = 1; i < events.length; i++) expect(compareEventIds(parseEventId(events[i - 1].id), parseEventId(events[i].id))).toBeLessThan(0)
}

/**
 * The behaviour every run event driver must show, run against each one
 * (memory in tests/unit, redis on a real Redis in tests/integration).
 */
export function runEventsConformance(create: RunEventsFactory): void {
  const logs: RunEventLog[] = []
  const make = async (options: Partial<RunEventsOptions> = {}) => {
    const log = await create(options)
    logs.push(log)
    return log
  }
  const run = () => `run-${randomUUID()}`
  afterEach(async () => {
    await Promise.all(logs.splice(0).map((log) => log.close()))
  })

  describe('replay', () => {
    it('replays every event of a run from the start, in order, with increasing ids, then stops at its end', async () => {
      const log = await make()
      const id = run()
      const ids: string[] = []
      for (const n of range(5)) ids.push(await log.append(id, { event: 'values', data: { n } }))
      await log.end(id)
      const events = await collect(log.read(id))
      expect(events.map((event) => event.data)).toEqual(range(5).map((n) => ({ n })))
      expect(events.map((event) => event.id)).toEqual(ids)
      expect(events.every((event) => event.event === 'values')).toBe(true)
      expectIncreasing(events)
    })

    it('replays only what comes after a given id (a Last-Event-ID), and nothing after the last one', async () => {
      const log = await make()
      const id = run()
      const ids: string[] = []
      for (const n of range(6)) ids.push(await log.append(id, { event: n % 2 ? 'updates' : 'values', data: n }))
      await log.end(id)
      const rest = await collect(log.read(id, { after: ids[2] }))
      expect(rest.map((event) => [event.id, event.event, event.data])).toEqual([3, 4, 5].map((n) => [ids[n], n % 2 ? 'updates' : 'values', n]))
      expect(await collect(log.read(id, { after: ids[5] }))).toEqual([])
    })

    it('hands readers a copy of the data as JSON, never the appender’s object', async () => {
      const log = await make()
      const id = run()
      const data = { nested: { list: [1, 2] }, when: new Date(0) }
      await log.append(id, { event: 'values', data })
      data.nested.list.push(3)
      await log.end(id)
      const [event] = await collect(log.read(id))
      expect(event.data).toEqual({ nested: { list: [1, 2] }, when: '1970-01-01T00:00:00.000Z' })
    })

    it('with follow: false, returns what is stored without waiting for the run to end', async () => {
      const log = await make()
      const id = run()
      await log.append(id, { event: 'values', data: 1 })
      expect((await collect(log.read(id, { follow: false }))).map((event) => event.data)).toEqual([1])
      expect(await collect(log.read(run(), { follow: false }))).toEqual([])
    })
  })

  describe('live', () => {
    it('follows a run live from before its first event until it ends', async () => {
      const log = await make()
      const id = run()
      const reading = collect(log.read(id))
      await sleep(30)
      for (const n of range(3)) {
        await log.append(id, { event: 'values', data: n })
        await sleep(5)
      }
      await log.end(id)
      expect((await reading).map((event) => event.data)).toEqual([0, 1, 2])
    })

    it('delivers each event exactly once across the switch from replay to live, under concurrent appends', async () => {
      const log = await make()
      const id = run()
      const total = 300
      for (const n of range(50)) await log.append(id, { event: 'values', data: n })
      // Readers join at different points while appends keep coming, so some switch to live mid-burst.
      const readers: Array<Promise<RunEvent[]>> = [collect(log.read(id))]
      let next = 50
      const appender = (async () => {
        while (next < total) {
          const batch = range(Math.min(7, total - next)).map((i) => next + i)
          next += batch.length
          // Sequential appends keep the order; a tick between them lets readers interleave.
          for (const n of batch) await log.append(id, { event: 'values', data: n })
          await tick()
        }
      })()
      for (let i = 0; i < 5; i++) {
        await sleep(2)
        readers.push(collect(log.read(id)))
      }
      await appender
      await log.end(id)
      for (const events of await Promise.all(readers)) {
        expect(events.map((event) => event.data)).toEqual(range(total))
        expectIncreasing(events)
      }
    })

    it('resumes after an id while appends are under way: exactly the missing events, then the live ones', async () => {
      const log = await make()
      const id = run()
      const ids: string[] = []
      for (const n of range(20)) ids.push(await log.append(id, { event: 'values', data: n }))
      const resumed = collect(log.read(id, { after: ids[9] }))
      const appends = (async () => {
        for (const n of range(40)) await log.append(id, { event: 'values', data: 20 + n })
        await log.end(id)
      })()
      await appends
      expect((await resumed).map((event) => event.data)).toEqual(range(50).map((n) => 10 + n))
    })

    it('gives every reader of a run the same events', async () => {
      const log = await make()
      const id = run()
      const readers = range(4).map(() => collect(log.read(id)))
      for (const n of range(10)) await log.append(id, { event: 'messages', data: [n] })
      await log.end(id)
      const all = await Promise.all(readers)
      for (const events of all) expect(events).toEqual(all[0])
      expect(all[0]).toHaveLength(10)
    })
  })

  describe('end', () => {
    it('refuses an append after the end with E_RUN_ENDED, and ending twice is harmless', async () => {
      const log = await make()
      const id = run()
      await log.append(id, { event: 'values', data: 1 })
      await log.end(id)
      await log.end(id)
      await expect(log.append(id, { event: 'values', data: 2 })).rejects.toMatchObject({ code: 'E_RUN_ENDED', status: 409 })
      expect((await collect(log.read(id))).map((event) => event.data)).toEqual([1])
    })

    it('clears a run that ended: its events and its end are gone, and it takes appends afresh', async () => {
      const log = await make()
      const id = run()
      await log.append(id, { event: 'values', data: 1 })
      await log.end(id)
      await log.clear(id)
      expect(await collect(log.read(id, { follow: false }))).toEqual([])
      await log.append(id, { event: 'values', data: 2 })
      await log.end(id)
      expect((await collect(log.read(id))).map((event) => event.data)).toEqual([2])
    })

    it('ends a run that had no event: its readers stop at once', async () => {
      const log = await make()
      const id = run()
      const reading = collect(log.read(id))
      await sleep(20)
      await log.end(id)
      expect(await reading).toEqual([])
    })

    it('forgets a run once its retention after the end is over', async () => {
      const log = await make({ retentionSeconds: 0.2 })
      const id = run()
      await log.append(id, { event: 'values', data: 1 })
      await log.end(id)
      expect(await collect(log.read(id, { follow: false }))).toHaveLength(1)
      await eventually(async () => expect(await collect(log.read(id, { follow: false }))).toEqual([]), 5000)
    })

    it('forgets a run that never ends once it has been idle for idleTtlSeconds, and not while events keep coming', async () => {
      const log = await make({ idleTtlSeconds: 0.4 })
      const id = run()
      for (const n of range(5)) {
        await log.append(id, { event: 'values', data: n })
        await sleep(100)
      }
      expect(await collect(log.read(id, { follow: false }))).toHaveLength(5)
      await eventually(async () => expect(await collect(log.read(id, { follow: false }))).toEqual([]), 5000)
    })
  })

  describe('bounds', () => {
    it('keeps about maxEventsPerRun events of a run, the latest ones', async () => {
      const log = await make({ maxEventsPerRun: 10 })
      const id = run()
      for (const n of range(500)) await log.append(id, { event: 'values', data: n })
      await log.end(id)
      const kept = (await collect(log.read(id))).map((event) => event.data as number)
      // Redis trims whole stream nodes (MAXLEN ~, 100 entries each by default): at most one node over.
      expect(kept.length).toBeGreaterThanOrEqual(10)
      expect(kept.length).toBeLessThanOrEqual(110)
      expect(kept).toEqual(range(kept.length).map((i) => 500 - kept.length + i))
    })

    it('refuses more live readers than maxFollowers with E_OVERLOADED, and frees the slot when a reader stops', async () => {
      const log = await make({ maxFollowers: 1 })
      const id = run()
      const stop = new AbortController()
      const first = collect(log.read(id, { signal: stop.signal }))
      await sleep(50)
      await expect(collect(log.read(id))).rejects.toMatchObject({ code: 'E_OVERLOADED', status: 503 })
      stop.abort()
      await first
      const second = collect(log.read(id))
      await log.append(id, { event: 'values', data: 1 })
      await log.end(id)
      expect((await second).map((event) => event.data)).toEqual([1])
    })
  })

  describe('ready, size limits and expiry', () => {
    it('takes the live-reader slot in ready(), before any event: one more reader is refused there with E_OVERLOADED', async () => {
      const log = await make({ maxFollowers: 1 })
      const id = run()
      const stop = new AbortController()
      const first = log.read(id, { signal: stop.signal })
      await first.ready()
      await expect(log.read(id).ready()).rejects.toMatchObject({ code: 'E_OVERLOADED', status: 503 })
      // A replay without following needs no slot.
      await expect(log.read(id, { follow: false }).ready()).resolves.toBeUndefined()
      // Aborting a read that never iterated gives its slot back.
      stop.abort()
      const second = log.read(id)
      await second.ready()
      const reading = collect(second)
      await log.append(id, { event: 'values', data: 1 })
      await log.end(id)
      expect((await reading).map((event) => event.data)).toEqual([1])
    })

    it('refuses an event larger than maxEventBytes with E_RUN_EVENT_TOO_LARGE (413), storing nothing', async () => {
      const log = await make({ maxEventBytes: 1000 })
      const id = run()
      await expect(log.append(id, { event: 'values', data: 'x'.repeat(1000) })).rejects.toMatchObject({ code: 'E_RUN_EVENT_TOO_LARGE', status: 413 })
      // Counted in UTF-8 bytes: 400 two-byte characters are 800 bytes and more with the quotes and name, under 1000.
      await log.append(id, { event: 'values', data: 'é'.repeat(400) })
      await expect(log.append(id, { event: 'values', data: 'é'.repeat(500) })).rejects.toMatchObject({ code: 'E_RUN_EVENT_TOO_LARGE' })
      expect((await collect(log.read(id, { follow: false }))).map((event) => (event.data as string).length)).toEqual([400])
    })

    it('ends a follower of a run that never shows up with E_RUN_EVENTS_EXPIRED once idleTtlSeconds pass without an event', async () => {
      const log = await make({ idleTtlSeconds: 0.3 })
      await expect(collect(log.read(run()))).rejects.toMatchObject({ code: 'E_RUN_EVENTS_EXPIRED', status: 410 })
    })

    it('ends a follower with E_RUN_EVENTS_EXPIRED, not quietly, when the events of a run not ended are dropped', async () => {
      const log = await make({ idleTtlSeconds: 0.3 })
      const id = run()
      await log.append(id, { event: 'values', data: 1 })
      const seen: unknown[] = []
      await expect(collect(log.read(id), (event) => void seen.push(event.data))).rejects.toMatchObject({ code: 'E_RUN_EVENTS_EXPIRED' })
      expect(seen).toEqual([1])
    })
  })

  describe('abort and bad input', () => {
    it('ends a live read quietly when its signal aborts, and one aborted before it started yields nothing', async () => {
      const log = await make()
      const id = run()
      await log.append(id, { event: 'values', data: 1 })
      const stop = new AbortController()
      const reading = collect(log.read(id, { signal: stop.signal }))
      await sleep(50)
      stop.abort()
      expect((await reading).map((event) => event.data)).toEqual([1])
      expect(await collect(log.read(id, { signal: AbortSignal.abort() }))).toEqual([])
    })

    it('stops between events when the signal aborts during the replay', async () => {
      const log = await make()
      const id = run()
      for (const n of range(10)) await log.append(id, { event: 'values', data: n })
      const stop = new AbortController()
      const events = await collect(log.read(id, { signal: stop.signal }), (_, seen) => {
        if (seen.length === 3) stop.abort()
      })
      expect(events.map((event) => event.data)).toEqual([0, 1, 2])
    })

    it('ends reads in progress on close', async () => {
      const log = await make()
      const id = run()
      const reading = collect(log.read(id))
      await sleep(50)
      await log.close()
      expect(await reading).toEqual([])
    })

    it.each(['abc', '12', '1-2-3', '-1-0', '1.5-0', '1-0 ; drop', 'x'.repeat(100)])('refuses the malformed event id %j with E_INVALID_EVENT_ID (400) before reading', async (bad) => {
      const log = await make()
      expect(() => log.read(run(), { after: bad })).toThrow(expect.objectContaining({ code: 'E_INVALID_EVENT_ID', status: 400 }))
    })

    it('refuses a malformed run id or event name with E_INVALID_NAME, storing nothing', async () => {
      const log = await make()
      await expect(log.append('../etc', { event: 'values' })).rejects.toMatchObject({ code: 'E_INVALID_NAME' })
      expect(() => log.read('a b')).toThrow(expect.objectContaining({ code: 'E_INVALID_NAME' }))
      const id = run()
      await expect(log.append(id, { event: 'bad\nname' })).rejects.toMatchObject({ code: 'E_INVALID_NAME' })
      await expect(log.append(id, { event: 'values', data: 10n })).rejects.toMatchObject({ code: 'E_INVALID_INPUT' })
      expect(await collect(log.read(id, { follow: false }))).toEqual([])
    })
  })
}
