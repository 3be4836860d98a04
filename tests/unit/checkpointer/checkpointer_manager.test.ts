import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemorySaver, emptyCheckpoint, type BaseCheckpointSaver } from '@langchain/langgraph-checkpoint'
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite'
import { CheckpointerManager, type CheckpointerManagerOptions } from '../../../framework/checkpointer/checkpointer_manager'
import { checkpointerProvider } from '../../../framework/checkpointer/checkpointer_provider'
import { PostgresCheckpointer } from '../../../framework/checkpointer/postgres_checkpointer'
import { E_INVALID_CONFIG, E_UNKNOWN_DRIVER, isException } from '../../../framework/errors'
import { Application } from '../../../framework/foundation/application'
import { createLogger } from '../../../framework/logger'

const silent = createLogger({ silent: true })
const meta = { source: 'input' as const, step: -1, parents: {} }

describe('CheckpointerManager', () => {
  let base: string
  const managers: CheckpointerManager[] = []
  const manager = (overrides: Partial<CheckpointerManagerOptions> = {}, driver: CheckpointerManagerOptions['config']['default'] = 'memory') => {
    const created = new CheckpointerManager({
      config: { default: driver, sqlitePath: 'storage/checkpoints.sqlite', redisTtlSeconds: 60 },
      basePath: base,
      ...overrides,
    })
    managers.push(created)
    return created
  }

  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'langvel-checkpointer-'))
  })
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close()))
    rmSync(base, { recursive: true, force: true })
  })

  it('uses the configured default driver when no name is given', () => {
    expect(manager({}, 'memory').use()).toBeInstanceOf(MemorySaver)
    expect(manager({}, 'sqlite').use()).toBeInstanceOf(SqliteSaver)
  })

  it('gives each driver one saver, created on first use and reused after', () => {
    const checkpointers = manager()
    expect(checkpointers.isOpen('memory')).toBe(false)
    const first = checkpointers.use('memory')
    expect(checkpointers.use('memory')).toBe(first)
    expect(checkpointers.isOpen('memory')).toBe(true)
    expect(checkpointers.use('sqlite')).not.toBe(first)
  })

  it('rejects an unknown driver with E_UNKNOWN_DRIVER listing the available ones', () => {
    const error = captured(() => manager().use('mongo'))
    expect(error).toBeInstanceOf(E_UNKNOWN_DRIVER)
    expect(error).toMatchObject({ code: 'E_UNKNOWN_DRIVER', details: { available: ['memory', 'sqlite', 'postgres', 'redis'] } })
  })

  it('keeps sqlite checkpoints in a file under the project root, creating its folder', async () => {
    const saver = manager().use('sqlite')
    const config = await saver.put({ configurable: { thread_id: 't1' } }, emptyCheckpoint(), meta, {})
    expect(existsSync(join(base, 'storage', 'checkpoints.sqlite'))).toBe(true)
    expect((await saver.getTuple(config))?.config.configurable?.checkpoint_id).toBe(config.configurable?.checkpoint_id)
  })

  it('makes the sqlite tables when the driver opens, before any run touches it (never inside a request)', () => {
    const saver = manager().use('sqlite') as SqliteSaver
    const tables = (saver.db.prepare("select name from sqlite_master where type = 'table' order by name").all() as Array<{ name: string }>).map((row) => row.name)
    expect(tables).toEqual(['checkpoints', 'writes'])
    expect(saver.db.pragma('journal_mode', { simple: true })).toBe('wal')
  })

  it('closes the sqlite file it opened, and opens a fresh one on the next use', async () => {
    const checkpointers = manager()
    const saver = checkpointers.use('sqlite') as SqliteSaver
    const written = await saver.put({ configurable: { thread_id: 't1' } }, emptyCheckpoint(), meta)
    await checkpointers.close()
    expect((saver.db as { open: boolean }).open).toBe(false)
    expect(checkpointers.isOpen('sqlite')).toBe(false)
    const reopened = checkpointers.use('sqlite')
    expect(reopened).not.toBe(saver)
    // The fresh connection reads the same file: the checkpoint written before the close is there.
    expect((await reopened.getTuple({ configurable: { thread_id: 't1' } }))?.config.configurable).toMatchObject({ thread_id: 't1', checkpoint_id: written.configurable?.checkpoint_id })
  })

  it('builds the postgres driver on DATABASE_URL without connecting until used', () => {
    const saver = manager({ databaseUrl: 'postgres://nobody@127.0.0.1:1/none' }).use('postgres')
    expect(saver).toBeInstanceOf(PostgresCheckpointer)
  })

  it('refuses the postgres driver when DATABASE_URL is not a postgres URL', () => {
    expect(captured(() => manager({ databaseUrl: 'sqlite:storage/db.sqlite' }).use('postgres'))).toBeInstanceOf(E_INVALID_CONFIG)
    expect(captured(() => manager({ databaseUrl: undefined }).use('postgres'))).toBeInstanceOf(E_INVALID_CONFIG)
  })

  it('refuses the redis driver without a Redis connection', () => {
    expect(captured(() => manager().use('redis'))).toBeInstanceOf(E_INVALID_CONFIG)
  })

  it('accepts drivers registered with extend(), and closes them with the others', async () => {
    const close = jest.fn()
    const custom = new MemorySaver()
    const checkpointers = manager().extend('custom', () => ({ saver: custom, close }))
    expect(checkpointers.drivers).toContain('custom')
    expect(checkpointers.use('custom')).toBe(custom)
    await checkpointers.close()
    expect(close).toHaveBeenCalledTimes(1)
  })

  it('closes every driver even when one fails to close, then reports the failure', async () => {
    const closed: string[] = []
    const checkpointers = manager()
      .extend('broken', () => ({ saver: new MemorySaver(), close: () => Promise.reject(new Error('boom')) }))
      .extend('fine', () => ({ saver: new MemorySaver(), close: () => void closed.push('fine') }))
    checkpointers.use('broken')
    checkpointers.use('fine')
    await expect(checkpointers.close()).rejects.toThrow('boom')
    expect(closed).toEqual(['fine'])
  })
})

describe('checkpointerProvider', () => {
  let base: string
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'langvel-checkpointer-app-'))
  })
  afterEach(() => rmSync(base, { recursive: true, force: true }))

  const boot = () =>
    Application.create({
      basePath: base,
      env: { STATE_CHECKPOINTER: 'sqlite', CHECKPOINT_SQLITE_PATH: 'storage/threads.sqlite' },
      loadDotenv: false,
      providers: [checkpointerProvider],
      logger: silent,
    }).boot()

  it('binds the manager built from config/checkpointer.ts', async () => {
    const app = await boot()
    const saver: BaseCheckpointSaver = app.make('checkpointer').use()
    expect(saver).toBeInstanceOf(SqliteSaver)
    expect(existsSync(join(base, 'storage', 'threads.sqlite'))).toBe(true)
    await app.shutdown()
  })

  it('closes what the manager opened on shutdown', async () => {
    const app = await boot()
    const saver = app.make('checkpointer').use() as SqliteSaver
    await app.shutdown()
    expect((saver.db as { open: boolean }).open).toBe(false)
  })

  it('does not create the manager at shutdown when nothing used it', async () => {
    const app = await boot()
    await app.shutdown()
    expect(app.resolved('checkpointer')).toBe(false)
  })
})

function captured(run: () => unknown): unknown {
  try {
    run()
  } catch (error) {
    if (!isException(error)) throw error
    return error
  }
  throw new Error('expected an error')
}
