import { LRUCache } from 'lru-cache'
import type { ReadRunEventsOptions, RunEvent, RunEventInput, RunEventLog } from '../contracts/run_events'
import { E_OVERLOADED, E_RUN_ENDED } from '../errors'
import { lruClock } from '../support/lru'
import { checkEventName, checkRunId, compareEventIds, parseEventId, type ParsedEventId } from './event_id'
import { decodeEventData, encodeEventData } from './payload'
import { runEventsOptions, type RunEventsOptions } from './run_events_options'

interface StoredEvent {
  at: ParsedEventId
  id: string
  event: string
  data: string
}

interface Run {
  events: StoredEvent[]
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
 * `maxEventsPerRun` events; at most `maxRuns` runs are kept (the least
 * recently used is dropped, its readers end); a run is dropped
 * `retentionSeconds` after it ended, or `idleTtlSeconds` after its last
 * event if it never ends.
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
  private followers = 0
  private closed = false
  private readonly closing = new AbortController()

  constructor(options: MemoryRunEventsOptions = {}) {
    this.options = runEventsOptions(options)
    this.now = options.now ?? Date.now
    this.runs = new LRUCache<string, Run>({
      max: this.options.maxRuns,
      ttl: Math.ceil(this.options.idleTtlSeconds * 1000),
      ...lruClock(this.now),
      dispose: (run) => {
        run.gone = true
        wake(run)
      },
    })
  }

  async append(runId: string, input: RunEventInput): Promise<string> {
    checkRunId(runId)
    const event = checkEventName(input?.event)
    const data = encodeEventData(input.data)
    const run = this.runs.get(runId) ?? this.create(runId)
    if (run.ended) throw new E_RUN_ENDED(runId)
    const ms = Math.max(this.now(), run.last.ms)
    const at = { ms, seq: ms === run.last.ms ? run.last.seq + 1 : 0 }
    run.last = at
    run.events.push({ at, id: `${at.ms}-${at.seq}`, event, data })
    if (run.events.length > this.options.maxEventsPerRun) run.events.splice(0, run.events.length - this.options.maxEventsPerRun)
    // Re-set to restart the idle ttl from this event.
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

  read(runId: string, options: ReadRunEventsOptions = {}): AsyncIterable<RunEvent> {
    checkRunId(runId)
    const after = options.after === undefined ? undefined : parseEventId(options.after)
    return { [Symbol.asyncIterator]: () => this.iterate(runId, after, options)[Symbol.asyncIterator]() }
  }

  async close(): Promise<void> {
    this.closed = true
    this.closing.abort()
    for (const run of this.runs.values()) wake(run)
  }

  private create(runId: string): Run {
    const run: Run = { events: [], ended: false, gone: false, last: { ms: 0, seq: 0 }, waiters: new Set() }
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

  private async *iterate(runId: string, after: ParsedEventId | undefined, options: ReadRunEventsOptions): AsyncGenerator<RunEvent> {
    const signal = options.signal
    let run = this.runs.get(runId)
    let cursor = after
    let following = false
    try {
      for (;;) {
        if (signal?.aborted || this.closed) return
        // A reader may come before the run's first event (a queued run): it waits for the run to appear.
        run ??= this.runs.get(runId)
        if (run) {
          // Everything after the cursor, read and advanced synchronously: an append cannot slip between reading and waiting.
          const start = cursor === undefined ? 0 : firstAfter(run.events, cursor)
          const batch = run.events.slice(start)
          for (const stored of batch) {
            cursor = stored.at
            yield { id: stored.id, event: stored.event, data: decodeEventData(stored.data) }
            if (signal?.aborted || this.closed) return
          }
          if (batch.length > 0) continue
          if (run.ended || run.gone) return
        }
        if (options.follow === false) return
        if (!following) {
          if (this.followers >= this.options.maxFollowers) throw new E_OVERLOADED()
          this.followers += 1
          following = true
        }
        await waitFor(run ? run.waiters : this.awaitingRun(runId), signal, this.closing.signal)
        if (!run && this.awaiting.get(runId)?.size === 0) this.awaiting.delete(runId)
      }
    } finally {
      if (following) this.followers -= 1
    }
  }
}

/** Index of the first event after `cursor` (events are in id order). */
function firstAfter(events: StoredEvent[], cursor: ParsedEventId): number {
  let low = 0
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

function waitFor(waiters: Set<() => void>, signal: AbortSignal | undefined, closing: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      waiters.delete(done)
      signal?.removeEventListener('abort', done)
      closing.removeEventListener('abort', done)
      resolve()
    }
    waiters.add(done)
    signal?.addEventListener('abort', done, { once: true })
    closing.addEventListener('abort', done, { once: true })
  })
}
