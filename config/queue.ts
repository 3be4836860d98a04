import { defineConfig } from '../framework/config/define_config'
import { env } from '../framework/config/env'
import { QUEUE_DEFAULTS, QUEUE_DRIVERS } from '../framework/queue/queue_options'

export default defineConfig({
  env: {
    /** sync: background runs execute inside `serve` (development); bullmq: on Redis, run by `langvel queue:work`. */
    QUEUE_DRIVER: env.enum(QUEUE_DRIVERS, 'sync'),
    QUEUE_NAME: env.string(QUEUE_DEFAULTS.name),
    /** Runs one process executes at once. */
    QUEUE_CONCURRENCY: env.integer(QUEUE_DEFAULTS.concurrency, 1, 1000),
    /** Attempts per run, the first included (a run that crashed its worker counts as stalled, not as an attempt). */
    QUEUE_ATTEMPTS: env.integer(QUEUE_DEFAULTS.attempts, 1, 100),
    /** Delay before the first retry; each further one doubles it. */
    QUEUE_BACKOFF_MS: env.integer(QUEUE_DEFAULTS.backoffMs, 0, 3_600_000),
    /** Longest background run in seconds; 0 uses the route's timeout (AGENT_TIMEOUT). */
    QUEUE_RUN_TIMEOUT: env.integer(QUEUE_DEFAULTS.runTimeoutSeconds, 0, 86_400),
    /** On SIGTERM: how long held runs may finish before they stop at their next step and go back to the queue. */
    QUEUE_GRACE_MS: env.integer(QUEUE_DEFAULTS.graceMs, 0, 3_600_000),
    /** sync driver: runs waiting for a slot before new ones are refused (E_QUEUE_FULL). */
    QUEUE_SYNC_MAX_WAITING: env.integer(QUEUE_DEFAULTS.syncMaxWaiting, 1, 1_000_000),
    /** bullmq: a job whose worker stopped renewing its lock for this long is handed to another worker. */
    QUEUE_LOCK_MS: env.integer(QUEUE_DEFAULTS.lockMs, 1000, 3_600_000),
    QUEUE_STALLED_INTERVAL_MS: env.integer(QUEUE_DEFAULTS.stalledIntervalMs, 500, 3_600_000),
    /** bullmq: times a run may lose its worker before it fails for good. */
    QUEUE_MAX_STALLED: env.integer(QUEUE_DEFAULTS.maxStalled, 0, 100),
  },
  resolve: (e) => ({
    driver: e.QUEUE_DRIVER,
    name: e.QUEUE_NAME,
    concurrency: e.QUEUE_CONCURRENCY,
    attempts: e.QUEUE_ATTEMPTS,
    backoffMs: e.QUEUE_BACKOFF_MS,
    runTimeoutSeconds: e.QUEUE_RUN_TIMEOUT,
    graceMs: e.QUEUE_GRACE_MS,
    syncMaxWaiting: e.QUEUE_SYNC_MAX_WAITING,
    lockMs: e.QUEUE_LOCK_MS,
    stalledIntervalMs: e.QUEUE_STALLED_INTERVAL_MS,
    maxStalled: e.QUEUE_MAX_STALLED,
  }),
  check: (config) => [
    ...(/^[A-Za-z0-9_.-]{1,100}$/.test(config.name) ? [] : [{ key: 'QUEUE_NAME', message: 'use 1-100 letters, digits, "_", "." or "-"', severity: 'error' as const }]),
    ...(config.stalledIntervalMs > config.lockMs ? [{ key: 'QUEUE_STALLED_INTERVAL_MS', message: 'must not be above QUEUE_LOCK_MS', severity: 'error' as const }] : []),
  ],
})
