import type { Knex } from 'knex'
import { dropPostgresStoreTables, setupPostgresStoreTables } from '../../framework/memory/postgres_store'

/**
 * Tables of long-term memory (MEMORY_STORE=postgres), created by the official
 * PostgresStore.setup() so their layout matches the installed store. A no-op
 * on SQLite: the memory driver keeps nothing on disk.
 */
export async function up(knex: Knex): Promise<void> {
  await setupPostgresStoreTables(knex)
}

export async function down(knex: Knex): Promise<void> {
  await dropPostgresStoreTables(knex)
}
