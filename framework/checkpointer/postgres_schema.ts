import type { Knex } from 'knex'
import { createPgPool, type PgPoolConfig } from './pg_pool'
import { POSTGRES_CHECKPOINT_TABLES, currentSchema } from './postgres_checkpointer'

/**
 * Creates or upgrades the Postgres checkpoint tables by running the official
 * PostgresSaver.setup(), which versions its own schema (checkpoint_migrations).
 * Called from a migration, never at request time. On any other database it
 * does nothing: the sqlite checkpointer keeps its own file.
 *
 * When an upgrade of @langchain/langgraph-checkpoint-postgres brings new
 * checkpoint migrations, a new migration calling this again applies them.
 *
 * @example
 * // database/migrations/20260101000000_create_checkpoint_tables.ts
 * export const up = (knex: Knex) => setupPostgresCheckpointTables(knex)
 */
export async function setupPostgresCheckpointTables(knex: Knex): Promise<void> {
  if (!isPostgres(knex)) return
  const schema = await schemaOf(knex)
  // PostgresSaver talks to a pg Pool, not to knex: give it one short-lived connection with the same settings.
  const pool = createPgPool({ ...(await connectionOf(knex)), max: 1 })
  try {
    const { PostgresSaver } = require('@langchain/langgraph-checkpoint-postgres') as typeof import('@langchain/langgraph-checkpoint-postgres')
    await new PostgresSaver(pool as never, undefined, { schema }).setup()
  } finally {
    await pool.end()
  }
}

/**
 * Drops the Postgres checkpoint tables (every saved thread with them).
 *
 * @example
 * export const down = (knex: Knex) => dropPostgresCheckpointTables(knex)
 */
export async function dropPostgresCheckpointTables(knex: Knex): Promise<void> {
  if (!isPostgres(knex)) return
  const schema = await schemaOf(knex)
  for (const table of POSTGRES_CHECKPOINT_TABLES) await knex.schema.withSchema(schema).dropTableIfExists(table)
}

function isPostgres(knex: Knex): boolean {
  return (knex.client as { dialect?: string }).dialect === 'postgresql'
}

/** Same rule as the runtime driver: the connection's current schema, or the first of knex's searchPath. */
async function schemaOf(knex: Knex): Promise<string> {
  const searchPath = (knex.client.config as Knex.Config).searchPath
  const first = Array.isArray(searchPath) ? searchPath[0] : searchPath
  if (first) return first
  return currentSchema({
    query: async <Row>(text: string) => (await knex.raw(text)) as { rows: Row[] },
  })
}

async function connectionOf(knex: Knex): Promise<PgPoolConfig> {
  let connection = (knex.client.config as Knex.Config).connection as unknown
  if (typeof connection === 'function') connection = await (connection as () => unknown)()
  if (typeof connection === 'string') return { connectionString: connection }
  return { ...(connection as Record<string, unknown>) }
}
