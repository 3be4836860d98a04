import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join, resolve } from 'node:path'
import type { Knex } from 'knex'
import { DatabaseManager } from '../../../framework/database/database_manager'
import { Migrator, type MigrationEvent } from '../../../framework/database/migrator'
import { POSTGRES_URL, describeWithPostgres } from '../../helpers/services'
import { scratchDir, writeCreateTable, writeMigration } from '../../unit/database/migration_fixtures'

const ROOT = resolve(__dirname, '..', '..', '..')

/** The same server, another database. */
function urlFor(database: string): string {
  const url = new URL(POSTGRES_URL)
  url.pathname = `/${database}`
  return url.toString()
}

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'langvel'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', APP_ENV: 'test', LOG_LEVEL: 'error', NO_COLOR: '1', ...env },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', fail)
    child.on('close', (code) => done({ code, stdout, stderr }))
  })
}

describeWithPostgres('Migrator on PostgreSQL', () => {
  const database = `langvel_test_${randomBytes(6).toString('hex')}`
  let admin: DatabaseManager
  let scratch: ReturnType<typeof scratchDir>
  let dir: string
  let managers: DatabaseManager[]

  const manager = () => {
    const db = new DatabaseManager({ url: urlFor(database), basePath: scratch.path, pool: { min: 0, max: 4 } })
    managers.push(db)
    return db
  }
  const migrator = (db = manager(), lockTimeoutMs?: number) => new Migrator(db, { directory: dir, lockTimeoutMs, lockPollMs: 50 })
  const tables = async (knex: Knex) =>
    ((await knex.raw("select tablename from pg_tables where schemaname = 'public' order by tablename")).rows as Array<{ tablename: string }>).map(
      (row) => row.tablename,
    )

  beforeAll(async () => {
    admin = new DatabaseManager({ url: urlFor('postgres'), basePath: ROOT, pool: { min: 0, max: 1 } })
    await admin.connection().raw(`create database ${database}`)
  })
  afterAll(async () => {
    await admin.connection().raw(`drop database if exists ${database} with (force)`)
    await admin.close()
  })
  beforeEach(async () => {
    scratch = scratchDir('pg-migrator')
    dir = join(scratch.path, 'migrations')
    managers = []
  })
  afterEach(async () => {
    // Each test starts from an empty database.
    const cleaner = manager()
    await cleaner.connection().raw('drop schema public cascade; create schema public')
    await Promise.all(managers.map((db) => db.close()))
    scratch.cleanup()
  })

  it('runs, reports, rolls back by batch and by step', async () => {
    writeCreateTable(dir, '20250101000000_create_users_table', 'users')
    writeCreateTable(dir, '20250101000001_create_posts_table', 'posts')
    const subject = migrator()
    const events: MigrationEvent[] = []
    expect(await subject.latest({ onEvent: (event) => events.push(event) })).toEqual({
      batch: 1,
      migrations: ['20250101000000_create_users_table', '20250101000001_create_posts_table'],
    })
    expect(events.map((event) => event.type)).toEqual(['start', 'done', 'start', 'done'])
    writeCreateTable(dir, '20250102000000_create_tags_table', 'tags')
    expect((await subject.latest()).batch).toBe(2)
    expect((await subject.status()).map((row) => [row.batch, row.status])).toEqual([
      [1, 'ran'],
      [1, 'ran'],
      [2, 'ran'],
    ])

    expect((await subject.rollback()).migrations).toEqual(['20250102000000_create_tags_table'])
    expect((await subject.rollback({ step: 1 })).migrations).toEqual(['20250101000001_create_posts_table'])
    expect((await subject.status()).map((row) => row.status)).toEqual(['ran', 'pending', 'pending'])
    expect(await tables(managers[0].connection())).toEqual(['knex_migrations', 'knex_migrations_lock', 'users'])
  })

  it('rolls back a failed batch completely, leaving no table and no record behind', async () => {
    writeCreateTable(dir, '20250101000000_create_users_table', 'users')
    writeMigration(dir, '20250101000001_broken', {
      up: "await knex.schema.createTable('half', (t) => t.increments('id'))\nawait knex.raw('select * from no_such_table')",
      down: '',
    })
    const subject = migrator()
    await expect(subject.latest()).rejects.toMatchObject({ code: 'E_MIGRATION_FAILED', details: { migration: '20250101000001_broken', completed: [] } })
    expect(await tables(managers[0].connection())).toEqual(['knex_migrations', 'knex_migrations_lock'])
    expect(await subject.repository.isLocked()).toBe(false)
  })

  it('fresh drops tables, views, sequences, types and functions, then migrates again', async () => {
    writeMigration(dir, '20250101000000_schema_objects', {
      up: [
        "await knex.raw(\"create type mood as enum ('happy', 'sad')\")",
        "await knex.schema.createTable('people', (t) => { t.increments('id'); t.specificType('feeling', 'mood') })",
        "await knex.raw('create sequence standalone_seq')",
        "await knex.raw('create view people_view as select * from people')",
        "await knex.raw('create function touch() returns trigger language plpgsql as $$ begin return new; end $$')",
      ].join('\n'),
      down: "await knex.raw('drop view people_view; drop table people; drop type mood; drop sequence standalone_seq; drop function touch()')",
    })
    const db = manager()
    const subject = migrator(db)
    await subject.latest()
    await db.connection().schema.createTable('stray', (table) => table.increments('id'))

    const result = await subject.fresh()
    expect(result.dropped).toEqual(expect.arrayContaining(['people', 'stray', 'knex_migrations']))
    expect(result).toMatchObject({ batch: 1, migrations: ['20250101000000_schema_objects'] })
    expect(await tables(db.connection())).toEqual(['knex_migrations', 'knex_migrations_lock', 'people'])
  })

  it('a second migrator waits while a batch holds the lock, then finds nothing pending', async () => {
    writeCreateTable(dir, '20250101000000_create_users_table', 'users')
    writeMigration(dir, '20250101000001_slow', { up: "await knex.raw('select pg_sleep(0.4)')\nawait knex('users').insert({ label: 'once' })", down: '' })
    const first = migrator()
    const second = migrator(manager(), 20_000)
    let started!: () => void
    const firstStarted = new Promise<void>((resolve) => (started = resolve))
    const firstRun = first.latest({ onEvent: (event) => event.type === 'start' && started() })
    await firstStarted
    const secondEvents: MigrationEvent[] = []
    const [firstResult, secondResult] = await Promise.all([firstRun, second.latest({ onEvent: (event) => secondEvents.push(event) })])

    expect(firstResult.migrations).toHaveLength(2)
    expect(secondResult).toEqual({ batch: null, migrations: [] })
    expect(secondEvents).toEqual([{ type: 'waiting', timeoutMs: 20_000 }])
    expect(await managers[0].connection()('users').pluck('label')).toEqual(['once'])
  })

  it('gives up on a lock held too long with E_MIGRATION_LOCKED, and unlock clears a stale lock', async () => {
    writeCreateTable(dir, '20250101000000_create_users_table', 'users')
    const db = manager()
    const subject = migrator(db, 200)
    await subject.repository.ensure()
    await db.connection()('knex_migrations_lock').update({ is_locked: 1 })
    await expect(subject.latest()).rejects.toMatchObject({ code: 'E_MIGRATION_LOCKED' })
    expect(await subject.unlock()).toBe(true)
    expect((await subject.latest()).migrations).toEqual(['20250101000000_create_users_table'])
  })

  it('two `langvel migrate` processes started together apply each migration exactly once', async () => {
    writeMigration(dir, '20250101000000_create_applied_log', {
      up: "await knex.schema.createTable('applied_log', (t) => { t.increments('id'); t.string('name') })\nawait knex('applied_log').insert({ name: 'first' })",
      down: "await knex.schema.dropTable('applied_log')",
    })
    for (const name of ['second', 'third']) {
      writeMigration(dir, `2025010100000${name === 'second' ? 1 : 2}_${name}`, {
        up: `await knex.raw('select pg_sleep(0.3)')\nawait knex('applied_log').insert({ name: '${name}' })`,
        down: '',
      })
    }
    const env = { DATABASE_URL: urlFor(database), LANGVEL_BASE_PATH: scratch.path }
    const runs = await Promise.all([runCli(['migrate', '--path', dir], env), runCli(['migrate', '--path', dir], env)])

    for (const run of runs) expect(run).toMatchObject({ code: 0, stderr: expect.not.stringContaining('error') })
    const knex = manager().connection()
    expect(await knex('applied_log').orderBy('id').pluck('name')).toEqual(['first', 'second', 'third'])
    expect(await knex('knex_migrations').count({ n: '*' })).toEqual([{ n: '3' }])
    expect(await knex('knex_migrations_lock').select('is_locked')).toEqual([{ is_locked: 0 }])
    // One process ran the batch; the other found it done.
    expect(runs.map((run) => run.stdout.includes('Ran 3 migrations in batch 1')).sort()).toEqual([false, true])
  })
})
