import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parse } from 'dotenv'
import Transport from 'winston-transport'
import { authProvider } from '../../../framework/auth/auth_provider'
import { ensureDevelopmentKey } from '../../../framework/auth/development_key'
import { databaseProvider } from '../../../framework/database/database_provider'
import { Application } from '../../../framework/foundation/application'
import { createLogger } from '../../../framework/logger'
import { redisProvider } from '../../../framework/redis/redis_provider'
import { up } from '../../../database/migrations/20260102000000_create_auth_tables'

const ROOT = resolve(__dirname, '..', '..', '..')

class Capture extends Transport {
  readonly messages: string[] = []
  override log(info: { message: string }, done: () => void): void {
    this.messages.push(info.message)
    done()
  }
}

describe('the development JWT key', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'langvel-devkey-'))
    writeFileSync(join(dir, '.env.example'), '# example\nAPP_NAME=demo\n\n# --- Authentication ---\nJWT_SECRET_KEY=\nJWT_EXPIRY=1h\n')
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  async function boot(env: Record<string, string>) {
    const capture = new Capture()
    const app = Application.create({
      basePath: dir,
      env: { DATABASE_URL: `sqlite:${join(dir, 'app.sqlite')}`, LOG_LEVEL: 'error', ...env },
      providers: [databaseProvider, redisProvider, authProvider],
      logger: createLogger({ level: 'warn', transports: [capture] }),
    })
    await app.boot()
    return { app, capture }
  }

  it('is written into .env on first use in development, logged once, and reused after a restart', async () => {
    const first = await boot({ APP_ENV: 'development' })
    await up(first.app.make('db').connection())
    const { token } = first.app.make('auth').tokens.issue('alice', { permissions: ['agents.*'] })
    await first.app.make('auth').tokens.verify(token)

    const key = parse(readFileSync(join(dir, '.env'))).JWT_SECRET_KEY
    expect(key).toMatch(/^[A-Za-z0-9_-]{86}$/)
    expect(statSync(join(dir, '.env')).mode & 0o777).toBe(0o600)
    // Built from .env.example, every other line kept.
    expect(readFileSync(join(dir, '.env'), 'utf8')).toContain('APP_NAME=demo')
    expect(first.capture.messages.filter((message) => message.includes('wrote a new development key'))).toHaveLength(1)
    expect(first.capture.messages.join('\n')).not.toContain(key)
    await first.app.shutdown()

    // A restart reads the same key from .env: the token issued before it still verifies.
    const second = await boot({ APP_ENV: 'development' })
    await expect(second.app.make('auth').tokens.verify(token)).resolves.toMatchObject({ id: 'alice', permissions: ['agents.*'] })
    expect(second.capture.messages.filter((message) => message.includes('wrote a new development key'))).toHaveLength(0)
    expect(parse(readFileSync(join(dir, '.env'))).JWT_SECRET_KEY).toBe(key)
    await second.app.shutdown()
  })

  it('is never generated outside development: tokens need a configured key, and production refuses to boot', async () => {
    const test = await boot({ APP_ENV: 'test' })
    expect(() => test.app.make('auth').tokens).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG' }))
    // API keys need no JWT key: one is created and authenticates a request.
    await up(test.app.make('db').connection())
    const { key, record } = await test.app.make('auth').apiKeys.create('ci', { permissions: ['agents.run'] })
    await expect(test.app.make('auth').authenticate({ apiKey: key })).resolves.toMatchObject({ id: record.id, type: 'api_key', permissions: ['agents.run'] })
    await test.app.shutdown()
    expect(existsSync(join(dir, '.env'))).toBe(false)

    await expect(boot({ APP_ENV: 'production' })).rejects.toMatchObject({ code: 'E_INVALID_CONFIG' })
    expect(existsSync(join(dir, '.env'))).toBe(false)
  })

  it('gives processes starting together one and the same key', async () => {
    const script = `process.stdout.write(require(${JSON.stringify(join(ROOT, 'framework/auth/development_key.ts'))}).ensureDevelopmentKey(${JSON.stringify(dir)}))`
    const run = () =>
      new Promise<string>((done, fail) => {
        const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: ROOT })
        let out = ''
        child.stdout.on('data', (chunk) => (out += chunk))
        child.on('error', fail)
        child.on('close', (code) => (code === 0 ? done(out) : fail(new Error(`exit ${code}`))))
      })
    const keys = await Promise.all([run(), run(), run(), run()])
    expect(new Set(keys).size).toBe(1)
    expect(parse(readFileSync(join(dir, '.env'))).JWT_SECRET_KEY).toBe(keys[0])
    expect(readFileSync(join(dir, '.env'), 'utf8').match(/^JWT_SECRET_KEY=/gm)).toHaveLength(1)
    expect(existsSync(join(dir, '.env.lock'))).toBe(false)
    // A later call finds it and writes nothing.
    expect(ensureDevelopmentKey(dir)).toBe(keys[0])
  })
})
