import { LRUCache } from 'lru-cache'
import { isFinished, type RunListOptions, type RunRecord, type RunStore } from './run_store'

export interface MemoryRunStoreOptions {
  /** How many threads' finished runs are kept; the least recently used thread's are forgotten beyond. */
  maxThreads?: number
  /** How many bytes (as JSON) of finished runs are kept in all; the least recently used thread's are forgotten beyond. */
  maxBytes?: number
  /** How many finished runs are kept per thread; the oldest are forgotten beyond. */
  maxFinishedPerThread?: number
  /** How long a finished run is kept after it ended. */
  finishedTtlMs?: number
}

/** A run as kept: `order` keeps a thread's runs newest first. */
type Stored = RunRecord & { order: number }

/**
 * The runs of this server process, in memory and bounded: finished runs of
 * at most `maxThreads` threads and `maxBytes` bytes in all,
 * `maxFinishedPerThread` per thread, each kept `finishedTtlMs` after it
 * ended. Pending and running runs are kept apart and never forgotten until
 * they end (there are only as many as the runs this process accepted).
 *
 * @example
 * const runs = new MemoryRunStore({ maxFinishedPerThread: 20 })
 */
export class MemoryRunStore implements RunStore {
  /** Per thread, its finished runs. */
  private readonly finished: LRUCache<string, Stored[]>
  /** Per thread, its pending and running runs. */
  private readonly active = new Map<string, Stored[]>()
  private readonly maxFinished: number
  private readonly ttlMs: number
  private order = 0

  constructor(options: MemoryRunStoreOptions = {}) {
    this.finished = new LRUCache({
      max: options.maxThreads ?? 10_000,
      maxSize: options.maxBytes ?? 32 * 1024 * 1024,
      sizeCalculation: (runs) => Math.max(1, runs.reduce((bytes, run) => bytes + sizeOf(run), 0)),
    })
    this.maxFinished = options.maxFinishedPerThread ?? 100
    this.ttlMs = options.finishedTtlMs ?? 3_600_000
  }

  async create(run: RunRecord): Promise<void> {
    this.remove(run.threadId, run.runId)
    this.keep({ ...run, order: ++this.order })
  }

  async get(threadId: string, runId: string): Promise<RunRecord | undefined> {
    const run = this.runsOf(threadId).find((stored) => stored.runId === runId)
    return run ? plain(run) : undefined
  }

  async list(threadId: string, options: RunListOptions): Promise<RunRecord[]> {
    const runs = this.runsOf(threadId).filter((run) => options.status === undefined || run.status === options.status)
    return runs.slice(options.offset, options.offset + options.limit).map(plain)
  }

  async update(threadId: string, runId: string, changes: Partial<Pick<RunRecord, 'status' | 'cancelReason'>>): Promise<RunRecord | undefined> {
    const run = this.runsOf(threadId).find((stored) => stored.runId === runId)
    if (!run) return undefined
    this.remove(threadId, runId)
    const updated: Stored = { ...run, updatedAt: Date.now() }
    if (changes.status !== undefined) updated.status = changes.status
    if (changes.cancelReason !== undefined) updated.cancelReason = changes.cancelReason
    this.keep(updated)
    return plain(updated)
  }

  async delete(threadId: string, runId: string): Promise<boolean> {
    return this.remove(threadId, runId)
  }

  async deleteThread(threadId: string): Promise<void> {
    this.finished.delete(threadId)
    this.active.delete(threadId)
  }

  private keep(run: Stored): void {
    if (!isFinished(run.status)) {
      this.active.set(run.threadId, [...(this.active.get(run.threadId) ?? []), run])
      return
    }
    const runs = [...this.finishedOf(run.threadId), run].sort((a, b) => b.order - a.order).slice(0, this.maxFinished)
    this.finished.set(run.threadId, runs)
  }

  private remove(threadId: string, runId: string): boolean {
    const active = this.active.get(threadId) ?? []
    const finished = this.finishedOf(threadId)
    const keptActive = active.filter((run) => run.runId !== runId)
    const keptFinished = finished.filter((run) => run.runId !== runId)
    if (keptActive.length === 0) this.active.delete(threadId)
    else this.active.set(threadId, keptActive)
    if (keptFinished.length !== finished.length) {
      if (keptFinished.length === 0) this.finished.delete(threadId)
      else this.finished.set(threadId, keptFinished)
    }
    return keptActive.length !== active.length || keptFinished.length !== finished.length
  }

  /** The thread's runs, newest first, the expired finished ones dropped. */
  private runsOf(threadId: string): Stored[] {
    return [...(this.active.get(threadId) ?? []), ...this.finishedOf(threadId)].sort((a, b) => b.order - a.order)
  }

  private finishedOf(threadId: string): Stored[] {
    const runs = this.finished.get(threadId)
    if (!runs) return []
    const expiredBefore = Date.now() - this.ttlMs
    const live = runs.filter((run) => run.updatedAt >= expiredBefore)
    if (live.length !== runs.length) {
      if (live.length === 0) this.finished.delete(threadId)
      else this.finished.set(threadId, live)
    }
    return live
  }
}

function plain(run: Stored): RunRecord {
  const { order: _order, ...record } = run
  return { ...record }
}

/** About how many bytes a run takes, as JSON. */
function sizeOf(run: Stored): number {
  return 256 + Buffer.byteLength(JSON.stringify(run.metadata ?? {}), 'utf8')
}
