import { LRUCache } from 'lru-cache'
import { isFinished, type RunListOptions, type RunRecord, type RunStore } from './run_store'

export interface MemoryRunStoreOptions {
  /** How many threads' runs are kept; the least recently used thread's are forgotten beyond. */
  maxThreads?: number
  /** How many finished runs are kept per thread; the oldest are forgotten beyond. */
  maxFinishedPerThread?: number
  /** How long a finished run is kept after it ended. */
  finishedTtlMs?: number
}

/**
 * The runs of this server process, in memory and bounded: at most
 * `maxThreads` threads, `maxFinishedPerThread` finished runs each, kept
 * `finishedTtlMs` after they ended. A pending or running run is never
 * forgotten while its thread is kept.
 *
 * @example
 * const runs = new MemoryRunStore({ maxFinishedPerThread: 20 })
 */
export class MemoryRunStore implements RunStore {
  /** Per thread, its runs newest first. */
  private readonly threads: LRUCache<string, RunRecord[]>
  private readonly maxFinished: number
  private readonly ttlMs: number

  constructor(options: MemoryRunStoreOptions = {}) {
    this.threads = new LRUCache({ max: options.maxThreads ?? 10_000 })
    this.maxFinished = options.maxFinishedPerThread ?? 100
    this.ttlMs = options.finishedTtlMs ?? 3_600_000
  }

  async create(run: RunRecord): Promise<void> {
    const runs = this.runsOf(run.threadId).filter((stored) => stored.runId !== run.runId)
    runs.unshift({ ...run })
    this.threads.set(run.threadId, this.trimmed(runs))
  }

  async get(threadId: string, runId: string): Promise<RunRecord | undefined> {
    const run = this.runsOf(threadId).find((stored) => stored.runId === runId)
    return run ? { ...run } : undefined
  }

  async list(threadId: string, options: RunListOptions): Promise<RunRecord[]> {
    const runs = this.runsOf(threadId).filter((run) => options.status === undefined || run.status === options.status)
    return runs.slice(options.offset, options.offset + options.limit).map((run) => ({ ...run }))
  }

  async update(threadId: string, runId: string, changes: Partial<Pick<RunRecord, 'status' | 'cancelReason'>>): Promise<RunRecord | undefined> {
    const runs = this.runsOf(threadId)
    const run = runs.find((stored) => stored.runId === runId)
    if (!run) return undefined
    if (changes.status !== undefined) run.status = changes.status
    if (changes.cancelReason !== undefined) run.cancelReason = changes.cancelReason
    run.updatedAt = Date.now()
    this.threads.set(threadId, this.trimmed(runs))
    return { ...run }
  }

  async delete(threadId: string, runId: string): Promise<boolean> {
    const runs = this.runsOf(threadId)
    const kept = runs.filter((run) => run.runId !== runId)
    if (kept.length === runs.length) return false
    if (kept.length === 0) this.threads.delete(threadId)
    else this.threads.set(threadId, kept)
    return true
  }

  async deleteThread(threadId: string): Promise<void> {
    this.threads.delete(threadId)
  }

  /** The thread's runs, the expired finished ones dropped. */
  private runsOf(threadId: string): RunRecord[] {
    const runs = this.threads.get(threadId)
    if (!runs) return []
    const expiredBefore = Date.now() - this.ttlMs
    const live = runs.filter((run) => !isFinished(run.status) || run.updatedAt >= expiredBefore)
    if (live.length !== runs.length) this.threads.set(threadId, live)
    return live
  }

  private trimmed(runs: RunRecord[]): RunRecord[] {
    let finished = 0
    return runs.filter((run) => !isFinished(run.status) || ++finished <= this.maxFinished)
  }
}
