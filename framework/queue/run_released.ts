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
