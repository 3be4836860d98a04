export const RUN_EVENT_DRIVERS = ['memory', 'redis'] as const
export type RunEventDriverName = (typeof RUN_EVENT_DRIVERS)[number]

/** What config/run_events.ts defaults to, so a log built by hand behaves like a configured one. */
export const RUN_EVENTS_DEFAULTS = {
  /** Events kept per run; the oldest go first (approximately on Redis, MAXLEN ~). */
  maxEventsPerRun: 10_000,
  /** Seconds a run's events are kept after it ended. */
  retentionSeconds: 3600,
  /** Seconds a run that never ends is kept after its last event. */
  idleTtlSeconds: 86_400,
  /** Runs the memory driver keeps at most (least recently used go first). */
  maxRuns: 1000,
  /** Reads following a run live at once, per process (on the redis driver they share one blocking connection). */
  maxFollowers: 1000,
  /** Largest event (UTF-8 bytes of its name and JSON data); a larger one is refused with E_RUN_EVENT_TOO_LARGE (413). */
  maxEventBytes: 1_048_576,
  /** Memory driver: bytes of events kept across all runs (approximately: name and JSON data, UTF-8); the least recently used runs go first. */
  maxBytes: 268_435_456,
}

export type RunEventsOptions = typeof RUN_EVENTS_DEFAULTS

export function runEventsOptions(options: Partial<RunEventsOptions> = {}): RunEventsOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined))
  return { ...RUN_EVENTS_DEFAULTS, ...defined }
}
