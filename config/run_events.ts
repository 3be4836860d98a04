import { defineConfig } from '../framework/config/define_config'
import { env } from '../framework/config/env'
import { RUN_EVENT_DRIVERS, RUN_EVENTS_DEFAULTS } from '../framework/run_events/run_events_options'

export default defineConfig({
  env: {
    /** memory: one process; redis: shared by every process and worker on the same Redis. */
    RUN_EVENTS_DRIVER: env.enum(RUN_EVENT_DRIVERS, 'memory'),
    /** Events kept per run, the oldest dropped first (approximately on Redis). */
    RUN_EVENTS_MAX_PER_RUN: env.integer(RUN_EVENTS_DEFAULTS.maxEventsPerRun, 1, 10_000_000),
    /** How long a run's events stay readable after it ended. */
    RUN_EVENTS_RETENTION: env.duration(`${RUN_EVENTS_DEFAULTS.retentionSeconds}s`),
    /** How long the events of a run that never ends stay after its last event. */
    RUN_EVENTS_IDLE_TTL: env.duration(`${RUN_EVENTS_DEFAULTS.idleTtlSeconds}s`),
    /** Memory driver: runs kept at most (the least recently used is dropped first). */
    RUN_EVENTS_MAX_RUNS: env.integer(RUN_EVENTS_DEFAULTS.maxRuns, 1, 1_000_000),
    /** Reads following a live run at once, per process (on the redis driver they share one blocking connection per process). */
    RUN_EVENTS_MAX_FOLLOWERS: env.integer(RUN_EVENTS_DEFAULTS.maxFollowers, 1, 100_000),
    /** Largest event, in bytes (its name and JSON data); a larger append is refused with E_RUN_EVENT_TOO_LARGE (413). */
    RUN_EVENTS_MAX_EVENT_BYTES: env.integer(RUN_EVENTS_DEFAULTS.maxEventBytes, 256, 64 * 1024 * 1024),
    /** Memory driver: bytes of events kept across all runs; the least recently used runs are dropped first. */
    RUN_EVENTS_MEMORY_MAX_BYTES: env.integer(RUN_EVENTS_DEFAULTS.maxBytes, 65_536, 64 * 1024 * 1024 * 1024),
  },
  resolve: (e) => ({
    driver: e.RUN_EVENTS_DRIVER,
    maxEventsPerRun: e.RUN_EVENTS_MAX_PER_RUN,
    retentionSeconds: e.RUN_EVENTS_RETENTION,
    idleTtlSeconds: e.RUN_EVENTS_IDLE_TTL,
    maxRuns: e.RUN_EVENTS_MAX_RUNS,
    maxFollowers: e.RUN_EVENTS_MAX_FOLLOWERS,
    maxEventBytes: e.RUN_EVENTS_MAX_EVENT_BYTES,
    maxBytes: e.RUN_EVENTS_MEMORY_MAX_BYTES,
  }),
  check: (config) => {
    const problems = []
    for (const [key, seconds] of [['RUN_EVENTS_RETENTION', config.retentionSeconds], ['RUN_EVENTS_IDLE_TTL', config.idleTtlSeconds]] as const) {
      if (seconds < 1 || seconds > 365 * 86_400) problems.push({ key, message: 'must be between 1s and 365d', severity: 'error' as const })
    }
    if (config.maxEventBytes * 2 > config.maxBytes) {
      problems.push({ key: 'RUN_EVENTS_MEMORY_MAX_BYTES', message: 'must be at least twice RUN_EVENTS_MAX_EVENT_BYTES', severity: 'error' as const })
    }
    return problems
  },
})
