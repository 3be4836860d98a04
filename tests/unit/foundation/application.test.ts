import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Provider } from '../../../framework/contracts/provider'
import { E_INVALID_CONFIG } from '../../../framework/errors'
import { Application } from '../../../framework/foundation/application'
import { createLogger } from '../../../framework/logger'

const silent = createLogger({ silent: true })

describe('Application', () => {
  let base: string
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'langvel-app-'))
  })
  afterEach(() => rmSync(base, { recursive: true, force: true }))

  it('reads .env from the project root, with the real environment winning', async () => {
    writeFileSync(join(base, '.env'), 'SERVER_PORT=9100\nAPP_NAME=from-dotenv\n')
    const app = await Application.create({ basePath: base, env: { APP_NAME: 'from-env' }, logger: silent }).boot()
    expect(app.config.get('server').port).toBe(9100)
    expect(app.config.get('app').name).toBe('from-env')
    await app.shutdown()
  })

  it('fails to boot on invalid configuration before any provider registers', async () => {
    const register = jest.fn()
    const app = Application.create({ basePath: base, env: { SERVER_PORT: 'abc' }, providers: [{ name: 'p', register }], logger: silent })
    await expect(app.boot()).rejects.toBeInstanceOf(E_INVALID_CONFIG)
    expect(register).not.toHaveBeenCalled()
  })

  it('registers, boots and shuts providers down in reverse order, once', async () => {
    const events: string[] = []
    const provider = (name: string): Provider => ({
      name,
      register: () => void events.push(`register ${name}`),
      boot: async () => void events.push(`boot ${name}`),
      shutdown: async () => void events.push(`shutdown ${name}`),
    })
    const app = await Application.create({ basePath: base, env: {}, providers: [provider('a'), provider('b')], logger: silent }).boot()
    await app.shutdown()
    await app.shutdown()
    expect(events).toEqual(['register a', 'register b', 'boot a', 'boot b', 'shutdown b', 'shutdown a'])
  })

  it('creates container singletons lazily and only once', async () => {
    const app = await Application.create({ basePath: base, env: {}, logger: silent }).boot()
    const factory = jest.fn(() => ({ id: Math.random() }))
    app.singleton('redis' as never, factory as never)
    expect(app.resolved('redis' as never)).toBe(false)
    const first = app.make('redis' as never)
    expect(app.make('redis' as never)).toBe(first)
    expect(factory).toHaveBeenCalledTimes(1)
    expect(() => app.make('nothing' as never)).toThrow(/Nothing is bound/)
    await app.shutdown()
  })

  it('keeps shutting down when one step fails', async () => {
    const closed: string[] = []
    const app = await Application.create({
      basePath: base,
      env: {},
      logger: silent,
      providers: [
        { name: 'a', shutdown: () => void closed.push('a') },
        { name: 'b', shutdown: () => Promise.reject(new Error('b failed')) },
      ],
    }).boot()
    await app.shutdown()
    expect(closed).toEqual(['a'])
  })
})
