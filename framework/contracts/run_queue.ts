/** Where a queued run job is, as the queue sees it (the runs table keeps the run's own status). */
export type QueueJobState = 'waiting' | 'active' | 'delayed' | 'completed' | 'failed'

export type QueueCounts = Record<QueueJobState, number>

/** What a handler is given for one attempt at a run. */
export interface RunJob {
  readonly runId: string
  /** 1 for the first attempt; a run handed back by a draining worker keeps its number. */
  readonly attempt: number
  /** The most attempts this job gets (QUEUE_ATTEMPTS). */
  readonly maxAttempts: number
  /** When the run was first enqueued (epoch ms). */
  readonly enqueuedAt: number
  /**
   * Aborted when the run is cancelled, from any process (the reason is
   * E_RUN_CANCELLED), or when this process no longer holds it (the reason is
   * a `RunLost`: its lock was lost, or the worker closed by force): the
   * handler then stops and records nothing.
   */
  readonly signal: AbortSignal
  /**
   * Aborted when this worker drains (SIGTERM, close) and the grace period is
   * over: the handler stops at its next step boundary and throws
   * `RunReleased`, and the job goes back to the queue without counting an attempt.
   */
  readonly drain: AbortSignal
}

/** Resolves when the attempt succeeded (or ended for good: cancelled, interrupted); rejects to fail the attempt. */
export type RunJobHandler = (job: RunJob) => Promise<void>

export interface ProcessOptions {
  /** Jobs this process runs at once (QUEUE_CONCURRENCY). */
  concurrency?: number
  /**
   * Called when a job fails for good. `stalled`: the queue gave up on it
   * because its workers kept dying, and the handler never saw that last
   * attempt, so nothing recorded how the run ended.
   */
  onFailed?: (failure: { runId: string; stalled: boolean; error: string }) => void | Promise<void>
}

export interface FailedJob {
  runId: string
  attempts: number
  error: string
  failedAt: number
}

/**
 * A durable queue of agent runs, keyed by run id. The job id IS the run id,
 * so enqueueing a run twice is a no-op. Implemented by framework/queue
 * (drivers `sync` and `bullmq`).
 */
export interface RunQueue {
  readonly driver: string
  readonly name: string
  /** Adds the run's job; a run already queued, running or kept as failed is left as it is. */
  enqueue(runId: string): Promise<void>
  /** Throws (E_QUEUE_FULL) when an enqueue now would be refused for lack of room; drivers without a bound omit it. */
  checkCapacity?(): void
  /** Starts processing in this process; call once. */
  process(handler: RunJobHandler, options?: ProcessOptions): Promise<void>
  /**
   * Cancels a run wherever it is: a waiting job is removed; a running one has
   * its `signal` aborted by the process holding it. Resolves true when the
   * job was found.
   */
  cancel(runId: string): Promise<boolean>
  counts(): Promise<QueueCounts>
  /**
   * Puts the run's job back to waiting: a failed one keeps its history, a
   * completed or missing one is enqueued anew. False when the job is still
   * waiting, delayed or running.
   */
  retry(runId: string): Promise<boolean>
  failed(limit?: number): Promise<FailedJob[]>
  /** Removes every failed job; resolves with how many. */
  flushFailed(): Promise<number>
  /** Processes consuming this queue (this one included while it processes). */
  workers(): Promise<number>
  /** Redis round trip in ms; the sync driver answers 0. */
  ping(): Promise<number>
  /**
   * Stops taking jobs, lets the ones held finish for `graceMs`, then drains
   * them (see `RunJob.drain`) and hands back what is left.
   */
  close(graceMs?: number): Promise<void>
}
