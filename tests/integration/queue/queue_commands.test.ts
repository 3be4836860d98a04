import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { runCli } from '../../../framework/console/kernel'
import { Output } from '../../../framework/console/output'
import { DatabaseManager } from '../../../framework/database/database_manager'
import { Migrator } from '../../../framework/database/migrator'
import { createLogger } from '../../../framework/logger'
import { REDIS_URL } from '../../helpers/services'

const ROOT = join(__dirname, '..', '..', '..')
const MIGRATIONS = join(ROOT, 'database', 'migrations')
const logger = createLogger({ silent: true })

describe('queue:* commands', () => {
  let root: string
  let env: Record<string, string>

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'langvel-queue-cli-'))
    // The project's config/, an empty route file.
    symlinkSync(join(ROOT, 'config'), join(root, 'config'))
    mkdirSync(join(root, 'routes'))
    writeFileSync(join(root, 'routes', 'agents.ts'), 'export default function routes() {}\n')
    env = { APP_ENV: 'test', DATABASE_URL: `sqlite://${join(root, 'db.sqlite')}`, QUEUE_DRIVER: 'sync' }
    const db = new DatabaseManager({ url: env.DATABASE_URL, basePath: root })
    await new Migrator(db, { directory: MIGRATIONS }).latest()
    await db.close()
  })
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  const cli = async (args: string[], overrides: Record<string, string> = {}) => {
    const out: string[] = []
    const err: string[] = []
    const sink = (into: string[]) => new Writable({ write: (chunk, _encoding, done) => (into.push(String(chunk)), done()) })
    const output = new Output({ stdout: sink(out), stderr: sink(err), colors: false })
    const code = await runCli(['node', 'langvel', ...args], { output, app: { basePath: root, codePath: root, env: { ...env, ...overrides }, logger, loadDotenv: false } })
    return { code, stdout: out.join(''), stderr: err.join('') }
  }

  it('queue:work explains that the sync driver runs inside serve', async () => {
    const result = await cli(['queue:work'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('[E_INVALID_INPUT]')
    expect(result.stderr).toContain('QUEUE_DRIVER=bullmq')
  })

  it('queue:work refuses a bad number option before connecting to anything', async () => {
    const result = await cli(['queue:work', '--concurrency', '0'], { QUEUE_DRIVER: 'bullmq', REDIS_URL: 'redis://127.0.0.1:1' })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('--concurrency must be a whole number of at least 1')
  })

  it('queue:status prints runs per status, jobs per state and workers as JSON', async () => {
    const result = await cli(['queue:status', '--json'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({
      queue: 'runs',
      driver: 'sync',
      runs: { pending: 0, running: 0, success: 0, error: 0, timeout: 0, interrupted: 0, cancelled: 0 },
      jobs: { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 },
      workers: 0,
    })
    const text = await cli(['queue:status'])
    expect(text.stdout).toMatch(/Queue "runs" \(sync\): 0 workers alive/)
    expect(text.stdout).toMatch(/pending\s+0/)
  })

  it('queue:work fails fast with E_SERVICE_UNAVAILABLE when Redis is down at startup, instead of hanging', async () => {
    const result = await cli(['queue:work'], { QUEUE_DRIVER: 'bullmq', RUN_EVENTS_DRIVER: 'redis', REDIS_URL: 'redis://127.0.0.1:1' })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('[E_SERVICE_UNAVAILABLE]')
    expect(result.stderr).toContain('REDIS_URL')
  }, 20_000)

  it('queue:work refuses run events kept in one process when runs execute in workers', async () => {
    const result = await cli(['queue:work'], { QUEUE_DRIVER: 'bullmq', RUN_EVENTS_DRIVER: 'memory', REDIS_URL: 'redis://127.0.0.1:1' })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('[E_INVALID_CONFIG]')
    expect(result.stderr).toContain('RUN_EVENTS_DRIVER=redis')
  }, 20_000)

  it('queue:retry refuses the sync driver: nothing would run the run once the command exits', async () => {
    const retry = await cli(['queue:retry', 'some-run'])
    expect(retry.code).toBe(1)
    expect(retry.stderr).toContain('[E_INVALID_INPUT]')
    expect(retry.stderr).toContain('QUEUE_DRIVER=bullmq')
  })

  it('queue:retry of an unknown run is E_RUN_NOT_FOUND; queue:flush-failed reports what it deleted', async () => {
    const retry = await cli(['queue:retry', 'no-such-run'], { QUEUE_DRIVER: 'bullmq', REDIS_URL, REDIS_PREFIX: `test-commands-${process.pid}:` })
    expect(retry.code).toBe(1)
    expect(retry.stderr).toContain('[E_RUN_NOT_FOUND]')
    const flush = await cli(['queue:flush-failed', '--json'])
    expect(flush.code).toBe(0)
    expect(JSON.parse(flush.stdout)).toEqual({ queue: 'runs', flushed: 0 })
  })

  it('queue:status before `langvel migrate` says so with E_NOT_MIGRATED', async () => {
    const result = await cli(['queue:status'], { DATABASE_URL: `sqlite://${join(root, 'empty.sqlite')}` })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('[E_NOT_MIGRATED]')
  })

  it('refuses an invalid --queue name', async () => {
    const result = await cli(['queue:status', '--queue', 'bad name'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('[E_INVALID_INPUT]')
  })
})
