import type { Knex } from 'knex'

/**
 * How a background run runs (its stream modes, a command, where it stops,
 * whether its thread is a stored LangGraph API thread) and how it was
 * cancelled (`interrupt` or `rollback`).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('runs', (table) => {
    table.text('options').nullable()
    table.string('cancel_action', 16).nullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('runs', (table) => {
    table.dropColumn('options')
    table.dropColumn('cancel_action')
  })
}
