import type { Knex } from 'knex'

/**
 * Threads of the LangGraph API (docs/langgraph-api.md): who owns each one,
 * the assistant (agent route) it is bound to, its metadata, status and the
 * values of its last run. The checkpoints themselves stay in the
 * checkpointer. JSON is kept as text and times as epoch milliseconds in
 * bigint columns, identical on SQLite and PostgreSQL.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('threads', (table) => {
    table.string('thread_id', 128).primary()
    table.string('owner', 300).nullable()
    table.string('assistant_id', 300).nullable()
    table.string('route', 300).nullable()
    table.text('metadata').notNullable()
    table.string('status', 16).notNullable().defaultTo('idle')
    // The token of the run (or state update, or delete) holding a busy thread: only its holder records how it ended.
    table.string('run_token', 64).nullable()
    table.text('values').nullable()
    table.text('interrupts').nullable()
    table.text('error').nullable()
    table.bigInteger('created_at').notNullable()
    table.bigInteger('updated_at').notNullable()
    table.index(['owner', 'updated_at'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('threads')
}
