import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { PassThrough } from 'node:stream'
import winston from 'winston'
import { join, resolve } from 'node:path'
import { DatabaseManager } from '../../../framework/database/database_manager'
import { databaseProvider } from '../../../framework/database/database_provider'
import { Application } from '../../../framework/foundation/application'
import { createLogger } from '../../../framework/logger'
import { scratchDir } from './migration_fixtures'

const ROOT = resolve(__dirname, '..', '..', '..')

describe('DatabaseManager', () => {
  let scratch: ReturnType<typeof scratchDir>
  let db: DatabaseManager | undefined

  beforeEach(() => {
    scratch = scratchDir('db')
  })
  afterEach(async () => {
    await db?.close()
    db = undefined
    scratch.cleanup()
  })

  it('opens SQLite at storage/database.sqlite under the project root, creating the folder', async () => {
    db = new DatabaseManager({ basePath: scratch.path })
    expect(db.dialect).toBe('sqlite')
    expect(db.filename).toBe(join(scratch.path, 'storage', 'database.sqlite'))
    await db.connection().schema.createTable('probe', (table) => table.increments('id'))
    expect(existsSync(join(scratch.path, 'storage', 'database.sqlite'))).toBe(true)
  })

  it('turns on WAL, foreign keys and a busy timeout on its connection', async () => {
    db = new DatabaseManager({ basePath: scratch.path, busyTimeoutMs: 1234 })
    const knex = db.connection()
    expect(await knex.raw('pragma journal_mode')).toEqual([{ journal_mode: 'wal' }])
    expect(await knex.raw('pragma foreign_keys')).toEqual([{ foreign_keys: 1 }])
    expect(await knex.raw('pragma busy_timeout')).toEqual([{ timeout: 1234 }])
  })

  it('enforces foreign keys', async () => {
    db = new DatabaseManager({ basePath: scratch.path })
    const knex = db.connection()
    await knex.schema.createTable('parents', (table) => table.increments('id'))
    await knex.schema.createTable('children', (table) => table.integer('parent_id').references('parents.id'))
    // Matched on the driver's code: better-sqlite3 errors are not Error instances of jest's realm.
    await expect(knex('children').insert({ parent_id: 42 })).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' })
  })

  it('returns the same Knex instance until closed, and closing twice is harmless', async () => {
    db = new DatabaseManager({ basePath: scratch.path })
    const first = db.connection()
    expect(db.connection()).toBe(first)
    await db.close()
    await db.close()
    await expect(first.raw('select 1')).rejects.toThrow()
    const second = db.connection()
    expect(second).not.toBe(first)
    expect(await second.raw('select 1 as one')).toEqual([{ one: 1 }])
  })

  it('ping resolves with the round trip in milliseconds', async () => {
    db = new DatabaseManager({ basePath: scratch.path })
    const latency = await db.ping()
    expect(typeof latency).toBe('number')
    expect(Number.isFinite(latency)).toBe(true)
  })

  it('configures a pooled pg client for postgres:// URLs without connecting', () => {
    const manager = new DatabaseManager({ url: 'postgres://app@127.0.0.1:1/app', basePath: scratch.path, pool: { min: 2, max: 7 } })
    expect(manager.dialect).toBe('postgres')
    expect(manager.filename).toBeUndefined()
    const config = manager.knexConfig()
    expect(config.client).toBe('pg')
    expect(config.pool).toMatchObject({ min: 2, max: 7 })
    expect(config.connection).toMatchObject({ connectionString: 'postgres://app@127.0.0.1:1/app' })
  })

  it("routes knex's log to the logger, with the migrator's lock and failure chatter and the pool's connection errors at debug level", async () => {
    const stream = new PassThrough()
    const lines: Array<{ level: string; message: string; logger: string }> = []
    stream.on('data', (chunk) => lines.push(JSON.parse(String(chunk))))
    const logger = createLogger({ level: 'debug', transports: [new winston.transports.Stream({ stream, format: winston.format.json() })] })
    const log = new DatabaseManager({ basePath: scratch.path, logger }).knexConfig().log as Record<'warn' | 'error', (message: string) => void>
    log.warn("Can't take lock to run migrations: Migration table is already locked")
    log.warn('migration failed with error: no such table: x')
    log.warn('Acquire connection error: error: database "nope" does not exist\n    at parseErrorMessage (pg-protocol/src/parser.ts:395:9)')
    log.warn('something knex wants you to know')
    log.error('a real error')
    await new Promise((resolve) => setImmediate(resolve))
    expect(lines.map(({ level, message }) => [level, message])).toEqual([
      ['debug', "Can't take lock to run migrations: Migration table is already locked"],
      ['debug', 'migration failed with error: no such table: x'],
      // The caller that wanted the connection gets the error itself: the pool's copy, with the driver's stack, is detail.
      ['debug', 'Acquire connection error: error: database "nope" does not exist\n    at parseErrorMessage (pg-protocol/src/parser.ts:395:9)'],
      ['warn', 'something knex wants you to know'],
      ['error', 'a real error'],
    ])
  })

  it('does not load knex until a connection is asked for', () => {
    const script = `
      require('tsx/cjs/api').register()
      const { DatabaseManager } = require('./framework/database/database_manager')
      const db = new DatabaseManager({ basePath: ${JSON.stringify(scratch.path)} })
      const loaded = () => Object.keys(require.cache).some((file) => file.includes('/node_modules/knex/'))
      const before = loaded()
      db.connection()
      process.stdout.write(JSON.stringify({ before, after: loaded() }))
      db.close()
    `
    const result = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' })
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout)).toEqual({ before: false, after: true })
  })
})

describe('databaseProvider', () => {
  it('binds db lazily and closes it on shutdown only when it was created', async () => {
    const scratch = scratchDir('provider')
    try {
      const make = () => Application.create({ basePath: scratch.path, loadDotenv: false, env: { APP_ENV: 'test', LOG_LEVEL: 'error' }, providers: [databaseProvider] })
      const untouched = await make().boot()
      expect(untouched.resolved('db')).toBe(false)
      await untouched.shutdown()
      expect(existsSync(join(scratch.path, 'storage'))).toBe(false)

      const used = await make().boot()
      const db = used.make('db')
      expect(db.filename).toBe(join(scratch.path, 'storage', 'database.sqlite'))
      const knex = db.connection()
      await knex.raw('select 1')
      await used.shutdown()
      await expect(knex.raw('select 1')).rejects.toThrow()
    } finally {
      scratch.cleanup()
    }
  })
})
