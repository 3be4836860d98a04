import { LRUCache } from 'lru-cache'
import type { ReadRunEventsOptions, RunEvent, RunEventInput, RunEventLog, RunEventReader } from '../contracts/run_events'
import { E_RUN_ENDED, E_RUN_EVENTS_EXPIRED } from '../errors'
import { decodeJson } from '../support/json_payload'
import { lruClock } from '../support/lru'
import { checkRunId, compareEventIds, parseEventId, storedEvent, type ParsedEventId } from './event_id'
import { FollowerSlots, type FollowerSlot } from './follower_slots'
import { runEventsOptions, type RunEventsOptions } from './run_events_options'

/** Bytes counted for each event and each run beyond their text, so many tiny events are bounded too. */
const EVENT_OVERHEAD = 64
const RUN_OVERHEAD = 256

interface StoredEvent {
  at: ParsedEventId
  id: string
  event: string
  data: string
  /** Counted against maxBytes. */
  size: number
}

interface Run {
  /** The events kept are events[head..]: trimming moves head, and the array is compacted now and then. */
  events: StoredEvent[]
  head: number
  /** Counted size of the events kept plus the run's own overhead. */
  size: number
  ended: boolean
  /** Dropped from the cache (evicted or expired): readers stop. */
  gone: boolean
  last: ParsedEventId
  waiters: Set<() => void>
}

export interface MemoryRunEventsOptions extends Partial<RunEventsOptions> {
  /** Epoch ms; a test's settable clock. */
  now?: () => number
}

/**
 * The embedded run event log: one process, bounded. Each run keeps its last
 * `maxEventsPerRun` events; an event larger than `maxEventBytes` is refused;
 * at most `maxRuns` runs and about `maxBytes` of events are kept (the least
 * recently used run is dropped first: its readers get E_RUN_EVENTS_EXPIRED
 * if it had not ended); a run is dropped `retentionSeconds` after it ended,
 * or `idleTtlSeconds` after its last event if it never ends.
 *
 * @example
 * const log = new MemoryRunEvents()
 * await log.append('run-1', { event: 'values', data: { step: 1 } })
 * for await (const event of log.read('run-1', { after: lastEventId })) send(event)
 */
export class MemoryRunEvents implements RunEventLog {
  private readonly options: RunEventsOptions
  private readonly now: () => number
  private readonly runs: LRUCache<string, Run>
  private readonly awaiting = new Map<string, Set<() => void>>()
  private readonly followers: FollowerSlots
  private closed = false
  private readonly closing = new AbortController()

  constructor(options: MemoryRunEventsOptions = {}) {
    this.options = runEventsOptions(options)
    this.now = options.now ?? Date.now
    this.followers = new FollowerSlots(this.options.maxFollowers)
    this.runs = new LRUCache<string, Run>({
      max: this.options.maxRuns,
      maxSize: Math.max(this.options.maxBytes, RUN_OVERHEAD * 2),
      sizeCalculation: (run) => run.size,
      ttl: Math.ceil(this.options.idleTtlSeconds * 1000),
      ...lruClock(this.now),
      dispose: (run) => {
        run.gone = true
        wake(run)
      },
    })
  }

  /** Reads holding a live-reader slot now. */
  get following(): number {
    return this.followers.size
  }

  async append(runId: string, input: RunEventInput): Promise<string> {
    checkRunId(runId)
    // One event must fit in the byte budget of a run.
    const budget = Math.max(this.options.maxBytes, RUN_OVERHEAD * 2) - RUN_OVERHEAD
    const { event, data, bytes } = storedEvent(input, Math.min(this.options.maxEventBytes, budget - EVENT_OVERHEAD))
    const run = this.runs.get(runId) ?? this.create(runId)
    if (run.ended) throw new E_RUN_ENDED(runId)
    const ms = Math.max(this.now(), run.last.ms)
    const at = { ms, seq: ms === run.last.ms ? run.last.seq + 1 : 0 }
    run.last = at
    const size = bytes + EVENT_OVERHEAD
    run.events.push({ at, id: `${at.ms}-${at.seq}`, event, data, size })
    run.size += size
    while (run.events.length - run.head > this.options.maxEventsPerRun || run.size > budget + RUN_OVERHEAD) {
      run.size -= run.events[run.head].size
      run.head += 1
    }
    // Compacted once half the array is trimmed: each event is copied at most about once.
    if (run.head > 64 && run.head * 2 > run.events.length) {
      run.events = run.events.slice(run.head)
      run.head = 0
    }
    // Re-set to restart the idle ttl from this event and to count its new size.
    this.runs.set(runId, run)
    wake(run)
    return `${at.ms}-${at.seq}`
  }

  async end(runId: string): Promise<void> {
    checkRunId(runId)
    const run = this.runs.get(runId) ?? this.create(runId)
    if (run.ended) return
    run.ended = true
    this.runs.set(runId, run, { ttl: Math.ceil(this.options.retentionSeconds * 1000) })
    wake(run)
  }

  async clear(runId: string): Promise<void> {
    checkRunId(runId)
    this.runs.delete(runId)
  }

  read(runId: string, options: ReadRunEventsOptions = {}): RunEventReader {
    checkRunId(runId)
    const after = options.after === undefined ? undefined : parseEventId(options.after)
    const slot = this.followers.slot(options.signal)
    return {
      ready: async () => {
        if (options.follow !== false && !options.signal?.aborted) slot.take()
      },
      [Symbol.asyncIterator]: () => this.iterate(runId, after, options, slot)[Symbol.asyncIterator](),
    }
  }

  async close(): Promise<void> {
    this.closed = true
    this.closing.abort()
    for (const run of this.runs.values()) wake(run)
  }

  private create(runId: string): Run {
    const run: Run = { events: [], head: 0, size: RUN_OVERHEAD, ended: false, gone: false, last: { ms: 0, seq: 0 }, waiters: new Set() }
    this.runs.set(runId, run)
    const awaiting = this.awaiting.get(runId)
    this.awaiting.delete(runId)
    if (awaiting) wake({ waiters: awaiting })
    return run
  }

  /** Readers waiting for a run that has no event yet: kept apart, so reading unknown run ids never evicts a real run. */
  private awaitingRun(runId: string): Set<() => void> {
    let waiters = this.awaiting.get(runId)
    if (!waiters) {
      waiters = new Set()
      this.awaiting.set(runId, waiters)
    }
    return waiters
  }

  private async *iterate(runId: string, after: ParsedEventId | undefined, options: ReadRunEventsOptions, slot: FollowerSlot): AsyncGenerator<RunEvent> {
    const signal = options.signal
    let run = this.runs.get(runId)
    let cursor = after
    const idleMs = Math.ceil(this.options.idleTtlSeconds * 1000)
    try {
      for (;;) {
        if (signal?.aborted || this.closed) return
        // A reader may come before the run's first event (a queued run): it waits for the run to appear.
        run ??= this.runs.get(runId)
        if (run) {
          // Everything after the cursor, read and advanced synchronously: an append cannot slip between reading and waiting.
          const start = cursor === undefined ? run.head : Math.max(run.head, firstAfter(run.events, run.head, cursor))
          const batch = run.events.slice(start)
          for (const stored of batch) {
            cursor = stored.at
            yield { id: stored.id, event: stored.event, data: decodeJson(stored.data) }
            if (signal?.aborted || this.closed) return
          }
          if (batch.length > 0) continue
          if (run.ended) return
          if (run.gone) throw new E_RUN_EVENTS_EXPIRED(runId, 'they were dropped before the run ended (RUN_EVENTS_MAX_RUNS, RUN_EVENTS_MEMORY_MAX_BYTES or RUN_EVENTS_IDLE_TTL)')
        }
        if (options.follow === false) return
        slot.take()
        const woken = await waitFor(run ? run.waiters : this.awaitingRun(runId), idleMs, signal, this.closing.signal)
        if (!run && this.awaiting.get(runId)?.size === 0) this.awaiting.delete(runId)
        if (woken || signal?.aborted || this.closed) continue
        // Nothing for the idle ttl: a run that stopped is expired by now (get() drops it and marks it gone); one never seen is not coming.
        if (run) this.runs.get(runId)
        else if (!this.runs.has(runId)) throw new E_RUN_EVENTS_EXPIRED(runId, `no event came for ${this.options.idleTtlSeconds}s (an unknown run, or one whose events are gone)`)
      }
    } finally {
      slot.release()
    }
  }
}

/** Index of the first event after `cursor`, from `head` on (events are in id order). */
function firstAfter(events: StoredEvent[], head: number, cursor: ParsedEventId): number {
  let low = head
  let high = events.length
  while (low < high) {
    const mid = (low + high) >>> 1
    if (compareEventIds(events[mid].at, cursor) <= 0) low = mid + 1
    else high = mid
  }
  return low
}

function wake(run: Pick<Run, 'waiters'>): void {
  const waiters = [...run.waiters]
  run.waiters.clear()
  for (const resolve of waiters) resolve()
}

/** Resolves true when woken, false after `timeoutMs` without a wake (or on abort). */
function waitFor(waiters: Set<() => void>, timeoutMs: number, signal: AbortSignal | undefined, closing: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const finish = (woken: boolean) => {
      clearTimeout(timer)
      waiters.delete(done)
      signal?.removeEventListener('abort', aborted)
      closing.removeEventListener('abort', aborted)
      resolve(woken)
    }
    const done = () => finish(true)
    const aborted = () => finish(false)
    const timer = setTimeout(() => finish(false), timeoutMs)
    timer.unref()
    waiters.add(done)
    signal?.addEventListener('abort', aborted, { once: true })
    closing.addEventListener('abort', aborted, { once: true })
  })
}
