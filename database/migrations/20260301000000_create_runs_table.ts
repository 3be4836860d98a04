import type { Knex } from 'knex'

/**
 * Background agent runs (docs/queues.md): one row per run, whatever process
 * executes it. Status changes are conditional updates, so two workers cannot
 * both start a run. JSON is kept as text and times as epoch milliseconds in
 * bigint columns, identical on SQLite and PostgreSQL.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('runs', (table) => {
    table.string('id', 128).primary()
    table.string('thread_id', 128).notNullable()
    table.string('assistant_id', 300).nullable()
    table.string('route', 300).notNullable()
    // The principal's key (`user:42`); '' for runs started by the system, so the idempotency index applies to them too.
    table.string('principal', 300).notNullable().defaultTo('')
    // The principal the run acts as (type, id, permissions, claims) as JSON; null for a run without one.
    table.text('principal_data').nullable()
    table.string('status', 16).notNullable().defaultTo('pending')
    table.integer('attempts').notNullable().defaultTo(0)
    table.text('input').nullable()
    table.text('output').nullable()
    table.string('error_code', 64).nullable()
    table.text('error').nullable()
    table.text('metadata').notNullable()
    // The thread's newest checkpoint id when the run first started ('' when the thread had none): a later attempt continues only from a checkpoint of its own.
    table.string('start_checkpoint', 200).nullable()
    table.string('webhook', 2000).nullable()
    table.string('idempotency_key', 200).nullable()
    table.bigInteger('created_at').notNullable()
    table.bigInteger('started_at').nullable()
    table.bigInteger('ended_at').nullable()
    table.bigInteger('updated_at').notNullable()
    table.unique(['principal', 'idempotency_key'])
    table.index(['thread_id', 'created_at'])
    table.index(['status', 'created_at'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('runs')
}
