import { randomUUID } from 'node:crypto'
import { emptyCheckpoint } from '@langchain/langgraph-checkpoint'
import knexFactory, { type Knex } from 'knex'
import { down, up } from '../../../database/migrations/20260101000000_create_checkpoint_tables'
import { CheckpointerManager } from '../../../framework/checkpointer/checkpointer_manager'
import { createPgPool, type PgPool } from '../../../framework/checkpointer/pg_pool'
import { PostgresCheckpointer } from '../../../framework/checkpointer/postgres_checkpointer'
import { POSTGRES_URL, describeWithPostgres } from '../../helpers/services'

const meta = { source: 'input' as const, step: -1, parents: {} }

describeWithPostgres('Postgres checkpointer and its migration', () => {
  // A schema of our own, selected through the URL's search_path exactly as an
  // application would: the driver and the migration must both land in it.
  const schema = `langvel_ckpt_${randomUUID().replace(/-/g, '').slice(0, 12)}`
  const url = (() => {
    const parsed = new URL(POSTGRES_URL)
    parsed.searchParams.set('options', `-c search_path=${schema}`)
    return parsed.toString()
  })()
  let admin: PgPool
  let knex: Knex
  const managers: CheckpointerManager[] = []
  const driver = () => {
    const manager = new CheckpointerManager({
      config: { default: 'postgres', sqlitePath: 'unused.sqlite', redisTtlSeconds: 60 },
      basePath: process.cwd(),
      databaseUrl: url,
      postgresPoolMax: 2,
    })
    managers.push(manager)
    return manager.use() as PostgresCheckpointer
  }
  const tablesInSchema = async (name: string) =>
    (await admin.query<{ table_name: string }>('select table_name from information_schema.tables where table_schema = $1 order by 1', [name])).rows.map((row) => row.table_name)

  beforeAll(async () => {
    admin = createPgPool({ connectionString: POSTGRES_URL, max: 1 })
    await admin.query(`create schema "${schema}"`)
    knex = knexFactory({ client: 'pg', connection: { connectionString: url }, pool: { min: 0, max: 1 } })
  })
  afterAll(async () => {
    await Promise.all(managers.map((manager) => manager.close()))
    await knex.destroy()
    await admin.query(`drop schema if exists "${schema}" cascade`)
    await admin.end()
  })

  it('fails the first use with E_NOT_MIGRATED, and creates nothing itself, before `langvel migrate`', async () => {
    const saver = driver()
    await expect(saver.getTuple({ configurable: { thread_id: 't' } })).rejects.toMatchObject({ code: 'E_NOT_MIGRATED', details: { schema } })
    await expect(saver.put({ configurable: { thread_id: 't' } }, emptyCheckpoint(), meta, {})).rejects.toMatchObject({ code: 'E_NOT_MIGRATED' })
    expect(await tablesInSchema(schema)).toEqual([])
  })

  it('works once the migration has run, in the same schema, without restarting', async () => {
    const saver = driver()
    await expect(saver.getTuple({ configurable: { thread_id: 't' } })).rejects.toMatchObject({ code: 'E_NOT_MIGRATED' })
    await up(knex)
    expect(await tablesInSchema(schema)).toEqual(['checkpoint_blobs', 'checkpoint_migrations', 'checkpoint_writes', 'checkpoints'])
    const config = await saver.put({ configurable: { thread_id: 't' } }, emptyCheckpoint(), meta, {})
    expect((await saver.getTuple({ configurable: { thread_id: 't' } }))?.config.configurable?.checkpoint_id).toBe(config.configurable?.checkpoint_id)
  })

  it('migrates idempotently (PostgresSaver versions its own schema) and rolls back by dropping the tables', async () => {
    const versions = async () => (await admin.query<{ v: number }>(`select v from "${schema}".checkpoint_migrations order by v`)).rows.map((row) => row.v)
    await up(knex)
    const applied = await versions()
    await up(knex)
    expect(await versions()).toEqual(applied)
    await down(knex)
    expect(await tablesInSchema(schema)).toEqual([])
    await expect(driver().getTuple({ configurable: { thread_id: 't' } })).rejects.toMatchObject({ code: 'E_NOT_MIGRATED' })
  })

  it('does nothing on SQLite, whose checkpointer keeps its own file', async () => {
    const sqlite = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true })
    try {
      await up(sqlite)
      await down(sqlite)
      expect(await sqlite('sqlite_master').count({ n: '*' })).toEqual([{ n: 0 }])
    } finally {
      await sqlite.destroy()
    }
  })
})
