import type { RunQueue } from '../contracts/run_queue'
import type { Logger } from '../logger'
import type { RunService } from './run_service'

export type WorkerStopReason = 'signal' | 'max-jobs' | 'max-memory'

export interface QueueWorkerOptions {
  runs: RunService
  queue: RunQueue
  concurrency?: number
  /** Stop after this many runs settled (a supervisor starts a fresh process). */
  maxJobs?: number
  /** Stop once the process's resident memory passes this many MB. */
  maxMemoryMb?: number
  /** How long held runs may finish once stopping, before they are handed back. */
  graceMs: number
  logger?: Logger
  /** How often memory is checked between runs. */
  memoryCheckMs?: number
}

/**
 * The loop of `langvel queue:work`: executes runs until told to stop (a
 * signal), or until `maxJobs` runs settled or memory passed `maxMemoryMb`,
 * then closes the queue gracefully: runs still held get `graceMs` to finish,
 * then stop at their next step and go back to the queue.
 *
 * @example
 * const worker = new QueueWorker({ runs, queue, maxJobs: 500, graceMs: 30_000 })
 * process.once('SIGTERM', () => worker.stop('signal'))
 * const reason = await worker.run()
 */
export class QueueWorker {
  private settle?: (reason: WorkerStopReason) => void
  private readonly stopped: Promise<WorkerStopReason>
  private requested?: WorkerStopReason

  constructor(private readonly options: QueueWorkerOptions) {
    this.stopped = new Promise((resolve) => (this.settle = resolve))
  }

  async run(): Promise<WorkerStopReason> {
    const { runs, queue, maxJobs, maxMemoryMb } = this.options
    let settled = 0
    const overMemory = () => maxMemoryMb !== undefined && process.memoryUsage.rss() > maxMemoryMb * 1024 * 1024
    await runs.work({
      concurrency: this.options.concurrency,
      onSettled: () => {
        settled += 1
        if (maxJobs !== undefined && settled >= maxJobs) this.stop('max-jobs')
        else if (overMemory()) this.stop('max-memory')
      },
    })
    const timer = maxMemoryMb === undefined ? undefined : setInterval(() => overMemory() && this.stop('max-memory'), this.options.memoryCheckMs ?? 1000)
    timer?.unref()
    const reason = await this.stopped
    clearInterval(timer)
    this.options.logger?.info('queue worker stopping', { queue: queue.name, reason, runs: settled })
    await queue.close(this.options.graceMs)
    return reason
  }

  /** The first reason wins. */
  stop(reason: WorkerStopReason): void {
    if (this.requested) return
    this.requested = reason
    this.settle?.(reason)
  }
}
