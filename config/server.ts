import { defineConfig } from '../framework/config/define_config'
import { env } from '../framework/config/env'

export default defineConfig({
  env: {
    SERVER_HOST: env.string('127.0.0.1'),
    SERVER_PORT: env.port(8000),
    SERVER_WORKERS: env.integer(1, 1, 64),
    AGENT_TIMEOUT: env.integer(300, 1, 86_400),
    MAX_CONCURRENT_REQUESTS: env.integer(100, 1, 100_000),
    MAX_QUEUE_SIZE: env.integer(100, 0, 1_000_000),
    MAX_REQUEST_BODY_BYTES: env.integer(10 * 1024 * 1024, 1, 1024 * 1024 * 1024),
    CORS_ORIGINS: env.list([]),
    SHUTDOWN_GRACE_SECONDS: env.integer(30, 0, 3600),
  },
  resolve: (e) => ({
    host: e.SERVER_HOST,
    port: e.SERVER_PORT,
    workers: e.SERVER_WORKERS,
    agentTimeoutSeconds: e.AGENT_TIMEOUT,
    maxConcurrentRequests: e.MAX_CONCURRENT_REQUESTS,
    maxQueueSize: e.MAX_QUEUE_SIZE,
    maxRequestBodyBytes: e.MAX_REQUEST_BODY_BYTES,
    corsOrigins: e.CORS_ORIGINS,
    shutdownGraceSeconds: e.SHUTDOWN_GRACE_SECONDS,
  }),
  check: (config, { appEnv }) =>
    config.corsOrigins.includes('*')
      ? [
          {
            key: 'CORS_ORIGINS',
            message:
              'contains "*", which lets any website call your agents. List the allowed origins instead, e.g. CORS_ORIGINS=https://app.example.com,https://admin.example.com',
            severity: appEnv === 'production' ? 'error' : 'warning',
          },
        ]
      : [],
})
