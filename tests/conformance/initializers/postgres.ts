import { randomUUID } from 'node:crypto'
import type { CheckpointSaverTestInitializer } from '@langchain/langgraph-checkpoint-validation'
import knexFactory, { type Knex } from 'knex'
import { CheckpointerManager } from '../../../framework/checkpointer/checkpointer_manager'
import type { PostgresCheckpointer } from '../../../framework/checkpointer/postgres_checkpointer'
import { down, up } from '../../../database/migrations/20260101000000_create_checkpoint_tables'
import { POSTGRES_URL } from '../../helpers/services'

/**
 * The postgres driver through the manager, in a throwaway schema created by
 * our migration (so the migration is exercised too) and dropped at the end.
 * Instances share the schema, which is emptied when an instance is destroyed
 * (the suite only ever has one live instance).
 */
const schema = `langvel_conformance_${randomUUID().replace(/-/g, '').slice(0, 12)}`
let knex: Knex
const managers = new Map<PostgresCheckpointer, CheckpointerManager>()

const initializer: CheckpointSaverTestInitializer<PostgresCheckpointer> = {
  checkpointerName: 'langvel postgres (PostgresSaver)',
  beforeAllTimeout: 30_000,
  async beforeAll() {
    knex = knexFactory({ client: 'pg', connection: POSTGRES_URL, searchPath: [schema], pool: { min: 0, max: 1 } })
    await up(knex)
  },
  async afterAll() {
    await down(knex)
    await knex.raw('drop schema if exists ?? cascade', [schema])
    await knex.destroy()
  },
  createCheckpointer() {
    const manager = new CheckpointerManager({
      config: { default: 'postgres', sqlitePath: 'unused.sqlite', redisTtlSeconds: 60 },
      basePath: process.cwd(),
      databaseUrl: POSTGRES_URL,
      postgresSchema: schema,
      postgresPoolMax: 2,
    })
    const saver = manager.use() as PostgresCheckpointer
    managers.set(saver, manager)
    return saver
  },
  async destroyCheckpointer(saver) {
    await knex.raw('truncate ??, ??, ??', [`${schema}.checkpoints`, `${schema}.checkpoint_blobs`, `${schema}.checkpoint_writes`])
    await managers.get(saver)?.close()
    managers.delete(saver)
  },
}

export default initializer
