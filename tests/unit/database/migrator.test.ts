import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseManager } from '../../../framework/database/database_manager'
import { FileMigrationSource } from '../../../framework/database/migration_source'
import { Migrator, type MigrationEvent } from '../../../framework/database/migrator'
import { TYPESCRIPT_MIGRATIONS, scratchDir, writeCreateTable, writeMigration } from './migration_fixtures'

describe('Migrator on SQLite', () => {
  let scratch: ReturnType<typeof scratchDir>
  let dir: string
  let managers: DatabaseManager[]

  const manager = (busyTimeoutMs?: number) => {
    const db = new DatabaseManager({ basePath: scratch.path, busyTimeoutMs })
    managers.push(db)
    return db
  }
  const migrator = (options: { lockTimeoutMs?: number; db?: DatabaseManager; directory?: string } = {}) =>
    new Migrator(options.db ?? manager(), { directory: options.directory ?? dir, lockTimeoutMs: options.lockTimeoutMs, lockPollMs: 20 })
  const tables = async (db: DatabaseManager) =>
    ((await db.connection().raw("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name")) as Array<{ name: string }>).map(
      (row) => row.name,
    )

  beforeEach(() => {
    scratch = scratchDir('migrator')
    dir = join(scratch.path, 'migrations')
    managers = []
  })
  afterEach(async () => {
    await Promise.all(managers.map((db) => db.close()))
    scratch.cleanup()
  })

  it('runs every pending migration in one batch and reports each as it starts and finishes', async () => {
    writeCreateTable(dir, '20250101000000_create_users_table', 'users')
    writeCreateTable(dir, '20250101000001_create_posts_table', 'posts')
    const events: MigrationEvent[] = []
    const result = await migrator().latest({ onEvent: (event) => events.push(event) })

    expect(result).toEqual({ batch: 1, migrations: ['20250101000000_create_users_table', '20250101000001_create_posts_table'] })
    expect(events.map((event) => `${event.type}:${'name' in event ? event.name : ''}`)).toEqual([
      'start:20250101000000_create_users_table',
      'done:20250101000000_create_users_table',
      'start:20250101000001_create_posts_table',
      'done:20250101000001_create_posts_table',
    ])
    expect(await tables(managers[0])).toEqual(expect.arrayContaining(['users', 'posts', 'knex_migrations', 'knex_migrations_lock']))
  })

  it('puts a later migration in the next batch and finds nothing to do when up to date', async () => {
    writeCreateTable(dir, '20250101000000_create_users_table', 'users')
    const subject = migrator()
    await subject.latest()
    writeCreateTable(dir, '20250102000000_create_posts_table', 'posts')
    expect(await subject.pending()).toEqual(['20250102000000_create_posts_table'])
    expect(await subject.latest()).toEqual({ batch: 2, migrations: ['20250102000000_create_posts_table'] })
    expect(await subject.latest()).toEqual({ batch: null, migrations: [] })
  })

  it('status lists every migration with its batch; pending ones have none', async () => {
    writeCreateTable(dir, '20250101000000_create_users_table', 'users')
    const subject = migrator()
    await subject.latest()
    writeCreateTable(dir, '20250102000000_create_posts_table', 'posts')
    const status = await subject.status()
    expect(status.map(({ name, batch, status: state }) => ({ name, batch, state }))).toEqual([
      { name: '20250101000000_create_users_table', batch: 1, state: 'ran' },
      { name: '20250102000000_create_posts_table', batch: null, state: 'pending' },
    ])
    expect(status[0].ranAt).toBeInstanceOf(Date)
  })

  it('status on a fresh database reports everything pending without creating tables', async () => {
    writeCreateTable(dir, '20250101000000_create_users_table', 'users')
    const db = manager()
    expect((await migrator({ db }).status()).map((row) => row.status)).toEqual(['pending'])
    expect(await tables(db)).toEqual([])
  })

  it('rollback undoes only the last batch', async () => {
    writeCreateTable(dir, '20250101000000_create_users_table', 'users')
    const subject = migrator()
    await subject.latest()
    writeCreateTable(dir, '20250102000000_create_posts_table', 'posts')
    writeCreateTable(dir, '20250102000001_create_tags_table', 'tags')
    await subject.latest()

    const events: MigrationEvent[] = []
    const result = await subject.rollback({ onEvent: (event) => events.push(event) })
    expect(result).toEqual({ batch: 2, migrations: ['20250102000001_create_tags_table', '20250102000000_create_posts_table'] })
    expect(events.filter((event) => event.type === 'done').map((event) => 'direction' in event && event.direction)).toEqual(['down', 'down'])
    expect(await tables(managers[0])).not.toEqual(expect.arrayContaining(['posts']))
    expect((await subject.status()).map((row) => row.status)).toEqual(['ran', 'pending', 'pending'])
  })

  it('rollback with step undoes the last n migrations across batches, newest first', async () => {
    writeCreateTable(dir, '20250101000000_create_users_table', 'users')
    writeCreateTable(dir, '20250101000001_create_posts_table', 'posts')
    const subject = migrator()
    await subject.latest()
    writeCreateTable(dir, '20250102000000_create_tags_table', 'tags')
    await subject.latest()

    const result = await subject.rollback({ step: 2 })
    expect(result.migrations).toEqual(['20250102000000_create_tags_table', '20250101000001_create_posts_table'])
    expect((await subject.status()).map((row) => row.status)).toEqual(['ran', 'pending', 'pending'])
    expect((await subject.rollback({ step: 5 })).migrations).toEqual(['20250101000000_create_users_table'])
    expect(await subject.rollback()).toEqual({ batch: null, migrations: [] })
  })

  it('rejects a step that is not a positive integer', async () => {
    await expect(migrator().rollback({ step: 0 })).rejects.toMatchObject({ code: 'E_INVALID_INPUT' })
  })

  it('fresh drops every table and view, including ones no migration created, then runs all migrations in batch 1', async () => {
    writeCreateTable(dir, '20250101000000_create_users_table', 'users')
    const db = manager()
    const subject = migrator({ db })
    await subject.latest()
    writeCreateTable(dir, '20250102000000_create_posts_table', 'posts')
    await subject.latest()
    const knex = db.connection()
    await knex.schema.createTable('stray', (table) => table.integer('user_id').references('users.id'))
    await knex('users').insert({ label: 'a' })
    await knex('stray').insert({ user_id: 1 })
    await knex.raw('create view stray_view as select * from stray')

    const result = await subject.fresh()
    expect(result.dropped).toEqual(expect.arrayContaining(['users', 'posts', 'stray']))
    expect(result.batch).toBe(1)
    expect(result.migrations).toEqual(['20250101000000_create_users_table', '20250102000000_create_posts_table'])
    expect(await tables(db)).toEqual(['knex_migrations', 'knex_migrations_lock', 'posts', 'users'])
    expect(await knex.raw("select name from sqlite_master where type = 'view'")).toEqual([])
    expect(await knex('users').count({ n: '*' })).toEqual([{ n: 0 }])
  })

  it('a failing migration is named, and no migration of its batch stays applied', async () => {
    writeCreateTable(dir, '20250101000000_create_users_table', 'users')
    writeCreateTable(dir, '20250101000001_create_posts_table', 'posts')
    writeMigration(dir, '20250101000002_broken', {
      up: "await knex.schema.createTable('half_done', (t) => t.increments('id'))\nawait knex.raw('select * from no_such_table')",
      down: "await knex.schema.dropTable('half_done')",
    })
    const db = manager()
    const subject = migrator({ db })
    const error = await subject.latest().catch((caught: unknown) => caught)

    expect(error).toMatchObject({ code: 'E_MIGRATION_FAILED', details: { migration: '20250101000002_broken', direction: 'up', completed: [] } })
    expect(await tables(db)).toEqual(['knex_migrations', 'knex_migrations_lock'])
    expect((await subject.status()).map((row) => row.status)).toEqual(['pending', 'pending', 'pending'])
    expect(await subject.repository.isLocked()).toBe(false)

    rmSync(join(dir, '20250101000002_broken.js'))
    expect((await subject.latest()).migrations).toHaveLength(2)
  })

  it('a failure in a migration that opts out of transactions reports what was already applied', async () => {
    writeCreateTable(dir, '20250101000000_create_users_table', 'users')
    writeMigration(dir, '20250101000001_broken', { up: "throw new Error('boom')", down: '', config: '{ transaction: false }' })
    const subject = migrator()
    const error = await subject.latest().catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'E_MIGRATION_FAILED', details: { migration: '20250101000001_broken', completed: ['20250101000000_create_users_table'] } })
    expect((await subject.status()).map((row) => row.status)).toEqual(['ran', 'pending'])
  })

  it('refuses a migration without down() before running anything', async () => {
    writeCreateTable(dir, '20250101000000_create_users_table', 'users')
    writeFileSync(join(dir, '20250101000001_no_down.js'), 'exports.up = async () => {}\n')
    const db = manager()
    const subject = migrator({ db })
    await expect(subject.latest()).rejects.toMatchObject({ code: 'E_MIGRATION_FAILED' })
    expect(await tables(db)).not.toContain('users')
  })

  it('reports a migration that cannot be loaded by name', async () => {
    writeCreateTable(dir, '20250101000000_create_users_table', 'users')
    writeFileSync(join(dir, '20250101000001_syntax_error.js'), 'exports.up = async () => {\n')
    await expect(migrator().latest()).rejects.toMatchObject({ code: 'E_MIGRATION_FAILED', message: expect.stringContaining('20250101000001_syntax_error') })
  })

  it('runs TypeScript migrations and records them without their extension', async () => {
    const db = manager()
    const result = await migrator({ db, directory: TYPESCRIPT_MIGRATIONS }).latest()
    expect(result.migrations).toEqual(['20250101000000_create_notes_table', '20250101000001_create_tags_table'])
    expect(await db.connection()('notes').select('body')).toEqual([{ body: 'written by a TypeScript migration' }])
    expect(await db.connection()('knex_migrations').pluck('name')).toEqual(result.migrations)
  })

  it('reports recorded migrations whose file is gone, and refuses to migrate until they are back', async () => {
    writeCreateTable(dir, '20250101000000_create_users_table', 'users')
    const subject = migrator()
    await subject.latest()
    rmSync(join(dir, '20250101000000_create_users_table.js'))
    writeCreateTable(dir, '20250102000000_create_posts_table', 'posts')
    expect((await subject.status()).map((row) => [row.name, row.status])).toEqual([
      ['20250102000000_create_posts_table', 'pending'],
      ['20250101000000_create_users_table', 'missing'],
    ])
    await expect(subject.latest()).rejects.toMatchObject({ code: 'E_RUNTIME' })
  })

  it('waits for a held lock, then fails with E_MIGRATION_LOCKED; unlock releases it', async () => {
    writeCreateTable(dir, '20250101000000_create_users_table', 'users')
    const db = manager()
    const subject = migrator({ db, lockTimeoutMs: 150 })
    await subject.repository.ensure()
    await db.connection()('knex_migrations_lock').update({ is_locked: 1 })

    const events: MigrationEvent[] = []
    await expect(subject.latest({ onEvent: (event) => events.push(event) })).rejects.toMatchObject({ code: 'E_MIGRATION_LOCKED' })
    expect(events).toEqual([{ type: 'waiting', timeoutMs: 150 }])
    await expect(subject.rollback()).resolves.toEqual({ batch: null, migrations: [] })

    expect(await subject.unlock()).toBe(true)
    expect(await subject.unlock()).toBe(false)
    expect(await db.connection()('knex_migrations_lock').select('is_locked')).toEqual([{ is_locked: 0 }])
    expect((await subject.latest()).migrations).toEqual(['20250101000000_create_users_table'])
  })

  it('a second migrator started during a batch waits for it and then finds nothing pending', async () => {
    writeCreateTable(dir, '20250101000000_create_users_table', 'users')
    writeMigration(dir, '20250101000001_slow', {
      up: "await new Promise((resolve) => setTimeout(resolve, 300))\nawait knex('users').insert({ label: 'once' })",
      down: '',
    })
    // Two connections to one file, as two processes would have; a short busy timeout
    // because both share this test's event loop.
    const first = migrator({ db: manager(20) })
    const second = migrator({ db: manager(20), lockTimeoutMs: 10_000 })
    let started!: () => void
    const firstStarted = new Promise<void>((resolve) => (started = resolve))
    const firstRun = first.latest({ onEvent: (event) => event.type === 'start' && started() })
    await firstStarted
    const secondEvents: MigrationEvent[] = []
    const [firstResult, secondResult] = await Promise.all([firstRun, second.latest({ onEvent: (event) => secondEvents.push(event) })])

    expect(firstResult.migrations).toHaveLength(2)
    expect(secondResult).toEqual({ batch: null, migrations: [] })
    expect(secondEvents).toEqual([{ type: 'waiting', timeoutMs: 10_000 }])
    expect(await managers[0].connection()('users').pluck('label')).toEqual(['once'])
    expect(await managers[0].connection()('knex_migrations').count({ n: '*' })).toEqual([{ n: 2 }])
  })
})

describe('FileMigrationSource', () => {
  it('lists .ts and .js files by name, one entry when a compiled .js sits beside its source, ignoring .d.ts and others', () => {
    const scratch = scratchDir('source')
    try {
      for (const file of ['20250102_b.js', '20250101_a.ts', '20250101_a.js', '20250103_c.d.ts', 'README.md']) writeFileSync(join(scratch.path, file), '')
      const source = new FileMigrationSource(scratch.path, ['.ts', '.js'])
      expect(source.list().map((file) => file.file.slice(scratch.path.length + 1))).toEqual(['20250101_a.ts', '20250102_b.js'])
      expect(new FileMigrationSource(scratch.path, ['.js']).list().map((file) => file.name)).toEqual(['20250101_a', '20250102_b'])
      expect(new FileMigrationSource(join(scratch.path, 'absent')).list()).toEqual([])
    } finally {
      scratch.cleanup()
    }
  })
})
