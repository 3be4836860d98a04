import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { discoverConfigFiles, loadConfig } from '../../../framework/config'
import { Application } from '../../../framework/foundation/application'
import { defaultProviders } from '../../../framework/foundation/providers'
import { createLogger } from '../../../framework/logger'
import { RedisManager } from '../../../framework/redis/redis_manager'
import { createRunEvents } from '../../../framework/run_events/create_run_events'
import { MemoryRunEvents } from '../../../framework/run_events/memory_run_events'
import { RedisRunEvents } from '../../../framework/run_events/redis_run_events'
import { RUN_EVENTS_DEFAULTS } from '../../../framework/run_events/run_events_options'
import { WEBHOOK_DEFAULTS } from '../../../framework/webhooks/webhook_options'
import { WebhookSender } from '../../../framework/webhooks/webhook_sender'
import { collect } from './run_events_conformance'

const silent = createLogger({ silent: true })
const definitions = discoverConfigFiles(join(__dirname, '..', '..', '..', 'config'))

function problems(env: Record<string, string>, appEnv = 'development'): string[] {
  try {
    loadConfig(definitions, { ...env, APP_ENV: appEnv })
    return []
  } catch (error) {
    return (error as { details: Array<{ key: string }> }).details.map((problem) => problem.key)
  }
}

describe('config/run_events.ts and config/webhooks.ts', () => {
  it('default to the memory log and a sender with no secret', () => {
    const { values } = loadConfig(definitions, {})
    expect(values.run_events).toEqual({ driver: 'memory', ...RUN_EVENTS_DEFAULTS })
    expect(values.webhooks).toEqual({ secret: undefined, ...WEBHOOK_DEFAULTS })
  })

  it('read durations, lists and limits from the environment', () => {
    const { values } = loadConfig(definitions, { RUN_EVENTS_DRIVER: 'redis', RUN_EVENTS_RETENTION: '15m', WEBHOOK_ALLOWED_HOSTS: 'hooks.internal, localhost', WEBHOOK_MAX_ATTEMPTS: '3' })
    expect(values.run_events).toMatchObject({ driver: 'redis', retentionSeconds: 900 })
    expect(values.webhooks).toMatchObject({ allowedHosts: ['hooks.internal', 'localhost'], maxAttempts: 3 })
  })

  it('refuse bad values at boot, each key named', () => {
    expect(problems({ RUN_EVENTS_DRIVER: 'kafka', RUN_EVENTS_RETENTION: '0', WEBHOOK_MAX_ATTEMPTS: '0', WEBHOOK_RETRY_BASE_MS: '500', WEBHOOK_RETRY_MAX_MS: '100' })).toEqual(
      expect.arrayContaining(['RUN_EVENTS_DRIVER', 'WEBHOOK_MAX_ATTEMPTS']),
    )
    expect(problems({ WEBHOOK_ALLOWED_HOSTS: 'hooks.internal:8443,http://x' })).toEqual(['WEBHOOK_ALLOWED_HOSTS'])
    expect(problems({ WEBHOOK_ALLOWED_HOSTS: 'hooks.internal:8443,localhost:*,[::1]:3001,hooks.example' })).toEqual([])
    expect(problems({ RUN_EVENTS_RETENTION: '0', WEBHOOK_RETRY_BASE_MS: '500', WEBHOOK_RETRY_MAX_MS: '100' })).toEqual(expect.arrayContaining(['RUN_EVENTS_RETENTION', 'WEBHOOK_RETRY_MAX_MS']))
  })

  it('refuse a short WEBHOOK_SECRET in production, and only warn elsewhere', () => {
    expect(problems({ WEBHOOK_SECRET: 'short', JWT_SECRET_KEY: 'j'.repeat(64) }, 'production')).toContain('WEBHOOK_SECRET')
    expect(problems({ WEBHOOK_SECRET: 'short' })).not.toContain('WEBHOOK_SECRET')
    expect(loadConfig(definitions, { WEBHOOK_SECRET: 'short' }).warnings.map((warning) => warning.key)).toContain('WEBHOOK_SECRET')
  })
})

describe('createRunEvents', () => {
  const config = { ...RUN_EVENTS_DEFAULTS, driver: 'memory' }
  it('builds the configured driver, asking for Redis only for the redis driver, and names a misspelt one', async () => {
    const redis = jest.fn(() => new RedisManager({ url: 'redis://127.0.0.1:1', prefix: 'x:' }))
    expect(createRunEvents({ config, redis })).toBeInstanceOf(MemoryRunEvents)
    expect(redis).not.toHaveBeenCalled()
    const manager = new RedisManager({ url: 'redis://127.0.0.1:1', prefix: 'x:' })
    expect(createRunEvents({ config: { ...config, driver: 'redis' }, redis: () => manager })).toBeInstanceOf(RedisRunEvents)
    await manager.close()
    expect(() => createRunEvents({ config: { ...config, driver: 'kafka' }, redis })).toThrow(expect.objectContaining({ code: 'E_UNKNOWN_DRIVER' }))
  })
})

describe('the run events and webhooks providers', () => {
  let base: string
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'langvel-run-events-'))
  })
  afterEach(() => rmSync(base, { recursive: true, force: true }))

  it('bind `runEvents` and `webhooks`; shutdown ends live reads', async () => {
    const app = await Application.create({ basePath: base, env: { WEBHOOK_SECRET: 'w'.repeat(40) }, providers: defaultProviders(), logger: silent }).boot()
    const events = app.make('runEvents')
    expect(events).toBeInstanceOf(MemoryRunEvents)
    expect(app.make('webhooks')).toBeInstanceOf(WebhookSender)
    await events.append('run', { event: 'values', data: 1 })
    const reading = collect(events.read('run'))
    await new Promise((resolve) => setTimeout(resolve, 20))
    await app.shutdown()
    expect((await reading).map((event) => event.data)).toEqual([1])
  })

  it('refuse to make the webhook sender without WEBHOOK_SECRET, with E_INVALID_CONFIG', async () => {
    const app = await Application.create({ basePath: base, env: {}, providers: defaultProviders(), logger: silent }).boot()
    expect(() => app.make('webhooks')).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG' }))
    await app.shutdown()
  })
})
