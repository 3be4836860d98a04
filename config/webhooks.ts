import type { ConfigProblem } from '../framework/config/define_config'
import { defineConfig } from '../framework/config/define_config'
import { env } from '../framework/config/env'
import { MIN_WEBHOOK_SECRET_BYTES, WEBHOOK_DEFAULTS } from '../framework/webhooks/webhook_options'
import { allowedHostsProblems } from '../framework/webhooks/webhook_target'

export default defineConfig({
  env: {
    /** Signs every webhook (HMAC-SHA256); receivers verify with the same value. Required in production once webhooks are sent. */
    WEBHOOK_SECRET: env.optionalString(),
    /** Tries of one delivery, the first included. */
    WEBHOOK_MAX_ATTEMPTS: env.integer(WEBHOOK_DEFAULTS.maxAttempts, 1, 20),
    /** Longest wait for an answer, per attempt. */
    WEBHOOK_TIMEOUT_MS: env.integer(WEBHOOK_DEFAULTS.timeoutMs, 100, 300_000),
    WEBHOOK_RETRY_BASE_MS: env.integer(WEBHOOK_DEFAULTS.retryBaseMs, 1, 60_000),
    WEBHOOK_RETRY_MAX_MS: env.integer(WEBHOOK_DEFAULTS.retryMaxMs, 1, 3_600_000),
    /** Attempts in progress at once, per process (a delivery waiting for a retry holds no slot). */
    WEBHOOK_CONCURRENCY: env.integer(WEBHOOK_DEFAULTS.concurrency, 1, 1000),
    /** Deliveries waiting for a free slot; beyond this they are dropped (langvel_webhook_dropped_total). */
    WEBHOOK_MAX_PENDING: env.integer(WEBHOOK_DEFAULTS.maxPending, 0, 1_000_000),
    /** Longest wait at shutdown for deliveries in progress and pending. */
    WEBHOOK_SHUTDOWN_TIMEOUT_MS: env.integer(WEBHOOK_DEFAULTS.shutdownTimeoutMs, 0, 600_000),
    /** `host:port` entries (a bare host: ports 80 and 443; `host:*`: any port) allowed to resolve to loopback or private addresses, comma-separated. */
    WEBHOOK_ALLOWED_HOSTS: env.list(WEBHOOK_DEFAULTS.allowedHosts),
  },
  secrets: ['WEBHOOK_SECRET'],
  resolve: (e) => ({
    secret: e.WEBHOOK_SECRET,
    maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
    timeoutMs: e.WEBHOOK_TIMEOUT_MS,
    retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
    retryMaxMs: e.WEBHOOK_RETRY_MAX_MS,
    concurrency: e.WEBHOOK_CONCURRENCY,
    maxPending: e.WEBHOOK_MAX_PENDING,
    shutdownTimeoutMs: e.WEBHOOK_SHUTDOWN_TIMEOUT_MS,
    allowedHosts: e.WEBHOOK_ALLOWED_HOSTS,
  }),
  check: (config, { appEnv }) => {
    const problems: ConfigProblem[] = []
    if (config.retryMaxMs < config.retryBaseMs) problems.push({ key: 'WEBHOOK_RETRY_MAX_MS', message: 'must not be below WEBHOOK_RETRY_BASE_MS', severity: 'error' })
    for (const problem of allowedHostsProblems(config.allowedHosts)) {
      problems.push({ key: 'WEBHOOK_ALLOWED_HOSTS', message: `${problem.replace(/^WEBHOOK_ALLOWED_HOSTS: /, '')}: use host:port, host:* or host, comma-separated`, severity: 'error' })
    }
    // Unset is allowed (an application that sends no webhooks needs none); sending one without it fails with E_INVALID_CONFIG.
    const bytes = config.secret === undefined ? 0 : Buffer.byteLength(config.secret)
    if (bytes > 0 && bytes < MIN_WEBHOOK_SECRET_BYTES) {
      problems.push({
        key: 'WEBHOOK_SECRET',
        message: `is too short (${bytes} bytes, at least ${MIN_WEBHOOK_SECRET_BYTES} required): run \`openssl rand -hex 32\``,
        severity: appEnv === 'production' ? 'error' : 'warning',
      })
    }
    return problems
  },
})
