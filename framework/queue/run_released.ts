/**
 * Thrown by a run handler that stopped because its worker drains (see
 * `RunJob.drain`): the queue puts the job back to waiting without counting
 * an attempt, so another worker continues the run from its last checkpoint.
 */
export class RunReleased extends Error {
  constructor(readonly runId: string) {
    super(`Run ${runId} was handed back to the queue: its worker is shutting down`)
    this.name = 'RunReleased'
  }
}

export function isRunReleased(error: unknown): error is RunReleased {
  return error instanceof RunReleased
}

/**
 * Why a held run's `signal` is aborted when this process no longer owns it:
 * its lock was lost (another worker may have taken it over) or the worker
 * was closed by force. The handler stops at its next step and records
 * nothing: whoever holds the run now records how it ends.
 */
export class RunLost extends Error {
  constructor(
    readonly runId: string,
    readonly why: 'lock-lost' | 'closed',
  ) {
    super(why === 'lock-lost' ? `Run ${runId} is no longer held by this worker: its lock was lost` : `Run ${runId} was let go: its worker closed before it stopped`)
    this.name = 'RunLost'
  }
}

export function isRunLost(error: unknown): error is RunLost {
  return error instanceof RunLost
}
