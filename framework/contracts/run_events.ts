/** One event of a run, as stored and as sent (`id:` of an SSE frame). */
export interface RunEvent {
  /** Monotonic within the run (`<ms>-<seq>`): send it back as Last-Event-ID to resume after it. */
  id: string
  event: string
  data: unknown
}

export interface RunEventInput {
  event: string
  data?: unknown
}

export interface ReadRunEventsOptions {
  /** Replay only what comes after this id (a Last-Event-ID); from the first event kept when absent. */
  after?: string
  /** Stops the read: the iteration ends quietly. */
  signal?: AbortSignal
  /** false: replay what is stored and stop, without waiting for more (default true: follow until the run ends). */
  follow?: boolean
}

/**
 * The event log of background runs: what a run emits is appended here and
 * read back by any number of readers, from the start or after a
 * Last-Event-ID, then followed live until the run ends.
 */
export interface RunEventLog {
  /** Stores one event; resolves with its id. E_RUN_ENDED once the run has ended. */
  append(runId: string, event: RunEventInput): Promise<string>
  /** Marks the run finished: readers stop after its last event, and its retention period starts. */
  end(runId: string): Promise<void>
  /** Every event after `after`, then the live ones, each exactly once, until the run ends or the signal aborts. */
  read(runId: string, options?: ReadRunEventsOptions): AsyncIterable<RunEvent>
  /** Ends every read in progress and releases connections. */
  close(): Promise<void>
}
