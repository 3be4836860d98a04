import { Application } from '../../../framework/foundation/application'
import { defaultHealthChecks } from '../../../framework/http/health/default_checks'
import { queueProvider } from '../../../framework/queue/queue_provider'
import { REDIS_URL, describeWithRedis } from '../../helpers/services'

async function boot(env: Record<string, string>): Promise<Application> {
  return Application.create({ env: { LOG_LEVEL: 'error', JWT_SECRET_KEY: 'k'.repeat(48), ...env }, loadDotenv: false, providers: [queueProvider], configWarnings: false }).boot()
}

describeWithRedis('the queue health check', () => {
  it('checks the queue\'s Redis under QUEUE_DRIVER=bullmq, required, and fails while Redis is unreachable', async () => {
    const up = await boot({ QUEUE_DRIVER: 'bullmq', REDIS_URL, REDIS_PREFIX: 'test-health:' })
    const down = await boot({ QUEUE_DRIVER: 'bullmq', REDIS_URL: 'redis://127.0.0.1:1', REDIS_PREFIX: 'test-health:' })
    try {
      const check = defaultHealthChecks(up, { database: 'off', checkpointer: 'off' }).find((candidate) => candidate.name === 'queue')
      expect(check).toMatchObject({ required: true })
      await expect(check!.check()).resolves.toEqual(expect.any(Number))
      const failing = defaultHealthChecks(down, { database: 'off', checkpointer: 'off' }).find((candidate) => candidate.name === 'queue')
      // It answers within its bound with the service's error, not by hanging.
      await expect(Promise.race([failing!.check(), new Promise((_, reject) => setTimeout(() => reject(new Error('no answer')), 8000))])).rejects.toMatchObject({ code: 'E_SERVICE_UNAVAILABLE', status: 503 })
    } finally {
      await up.shutdown()
      await down.shutdown()
    }
  })

  it('is absent with the sync driver', async () => {
    const app = await boot({ QUEUE_DRIVER: 'sync' })
    try {
      expect(defaultHealthChecks(app).map((check) => check.name)).not.toContain('queue')
    } finally {
      await app.shutdown()
    }
  })
})
