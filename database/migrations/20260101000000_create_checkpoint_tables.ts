import type { Knex } from 'knex'
import { dropPostgresCheckpointTables, setupPostgresCheckpointTables } from '../../framework/checkpointer/postgres_schema'

/**
 * Tables of the Postgres checkpointer (STATE_CHECKPOINTER=postgres), created by
 * the official PostgresSaver.setup() so their layout always matches the
 * installed saver. A no-op on SQLite: the sqlite checkpointer keeps its own file.
 */
export async function up(knex: Knex): Promise<void> {
  await setupPostgresCheckpointTables(knex)
}

export async function down(knex: Knex): Promise<void> {
  await dropPostgresCheckpointTables(knex)
}
