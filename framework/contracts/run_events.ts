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

/** A read of a run's events (see RunEventLog.read). */
export interface RunEventReader extends AsyncIterable<RunEvent> {
  /**
   * Resolves once the read can start: its live-reader slot is taken (a
   * following read) and the store answers. Call it before a response
   * starts, so E_OVERLOADED and E_SERVICE_UNAVAILABLE become a 503 instead
   * of an error in the middle of a stream. Iterating without it checks the
   * same on the way. The slot is given back when the iteration ends or the
   * read's signal aborts: pass a signal if the iteration might never start.
   */
  ready(): Promise<void>
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
  /** Forgets every event of the run, its end too, so it can be appended to afresh (a run retried after it ended). */
  clear(runId: string): Promise<void>
  /**
   * Every event after `after`, then the live ones, each exactly once, until
   * the run ends or the signal aborts. E_RUN_EVENTS_EXPIRED (410) when the
   * run's events are dropped before it ended (evicted or expired), or when no
   * event comes for `idleTtlSeconds` while following (a run unknown or long
   * gone).
   */
  read(runId: string, options?: ReadRunEventsOptions): RunEventReader
  /** Ends every read in progress and releases connections. */
  close(): Promise<void>
}
