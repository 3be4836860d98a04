import { createLogger } from '../../../framework/logger'
import { HealthRegistry } from '../../../framework/http/health/health_registry'

const logger = createLogger({ silent: true })

describe('HealthRegistry', () => {
  it('reports ok with each check\'s latency when everything answers', async () => {
    const health = new HealthRegistry(logger).register({ name: 'db', required: true, check: async () => 1 })
    const report = await health.run()
    expect(report.status).toBe('ok')
    expect(report.checks.db).toMatchObject({ status: 'ok', required: true })
    expect(typeof report.checks.db.latency_ms).toBe('number')
  })

  it('is down when a required check fails and degraded when only an optional one does', async () => {
    const failing = async () => {
      throw Object.assign(new Error('connect ECONNREFUSED redis://:pw@10.1.1.1'), { code: 'ECONNREFUSED' })
    }
    const optional = new HealthRegistry(logger).register({ name: 'ok', required: true, check: async () => 1 }).register({ name: 'cache', required: false, check: failing })
    expect((await optional.run()).status).toBe('degraded')
    const required = new HealthRegistry(logger).register({ name: 'db', required: true, check: failing })
    const report = await required.run()
    expect(report.status).toBe('down')
    expect(report.checks.db).toMatchObject({ status: 'down', error: 'ECONNREFUSED' })
    expect(JSON.stringify(report)).not.toContain('10.1.1.1')
  })

  it('times out a check that never answers', async () => {
    const health = new HealthRegistry(logger).register({ name: 'stuck', required: true, timeoutMs: 50, check: () => new Promise(() => undefined) })
    const report = await health.run()
    expect(report.checks.stuck).toMatchObject({ status: 'down', error: 'timeout' })
  })

  it('runs only required checks for readiness', async () => {
    let optionalRan = false
    const health = new HealthRegistry(logger)
      .register({ name: 'db', required: true, check: async () => 1 })
      .register({ name: 'extra', required: false, check: async () => (optionalRan = true) })
    const report = await health.run(true)
    expect(Object.keys(report.checks)).toEqual(['db'])
    expect(optionalRan).toBe(false)
  })
})
