import { defineConfig } from '../framework/config/define_config'
import { env } from '../framework/config/env'
import { BUS_DEFAULTS, BUS_DRIVERS } from '../framework/bus/bus_options'

export default defineConfig({
  env: {
    BUS_DRIVER: env.enum(BUS_DRIVERS, 'memory'),
    /** Messages a topic's queue holds that are not yet handled (per subscriber group in memory, per stream on Redis). */
    BUS_MAX_QUEUE: env.integer(BUS_DEFAULTS.maxQueue, 1, 1_000_000),
    /** wait: publish waits for room up to BUS_PUBLISH_TIMEOUT_MS; refuse: E_BUS_FULL at once. */
    BUS_ON_FULL: env.enum(['wait', 'refuse'] as const, BUS_DEFAULTS.onFull),
    BUS_PUBLISH_TIMEOUT_MS: env.integer(BUS_DEFAULTS.publishTimeoutMs, 0, 600_000),
    /** Tries of a handler before its message is dead-lettered (1: no retry). */
    BUS_MAX_ATTEMPTS: env.integer(BUS_DEFAULTS.maxAttempts, 1, 100),
    BUS_RETRY_BASE_MS: env.integer(BUS_DEFAULTS.retryBaseMs, 1, 60_000),
    BUS_RETRY_MAX_MS: env.integer(BUS_DEFAULTS.retryMaxMs, 1, 600_000),
    /** Dead letters kept per topic (the oldest go first). */
    BUS_DEAD_LETTER_MAX: env.integer(BUS_DEFAULTS.deadLetterMax, 1, 1_000_000),
    /** Redis: a message delivered to a consumer that has not touched it for this long is reclaimed by another. */
    BUS_CLAIM_IDLE_MS: env.integer(BUS_DEFAULTS.claimIdleMs, 100, 3_600_000),
    /** Longest wait at shutdown (or unsubscribe) for handlers in flight. */
    BUS_DRAIN_TIMEOUT_MS: env.integer(BUS_DEFAULTS.drainTimeoutMs, 0, 600_000),
  },
  resolve: (e) => ({
    driver: e.BUS_DRIVER,
    maxQueue: e.BUS_MAX_QUEUE,
    onFull: e.BUS_ON_FULL,
    publishTimeoutMs: e.BUS_PUBLISH_TIMEOUT_MS,
    maxAttempts: e.BUS_MAX_ATTEMPTS,
    retryBaseMs: e.BUS_RETRY_BASE_MS,
    retryMaxMs: e.BUS_RETRY_MAX_MS,
    deadLetterMax: e.BUS_DEAD_LETTER_MAX,
    claimIdleMs: e.BUS_CLAIM_IDLE_MS,
    drainTimeoutMs: e.BUS_DRAIN_TIMEOUT_MS,
  }),
  check: (config) =>
    config.retryMaxMs < config.retryBaseMs
      ? [{ key: 'BUS_RETRY_MAX_MS', message: 'must not be below BUS_RETRY_BASE_MS', severity: 'error' }]
      : [],
})
