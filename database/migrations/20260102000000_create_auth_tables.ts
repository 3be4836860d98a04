import type { Knex } from 'knex'

/**
 * Tables of the auth stores (AUTH_STORE=database): API keys (only the
 * SHA-256 of each key), revoked token ids (each kept until its token's own
 * expiry) and thread owners. Times are epoch milliseconds in bigint columns,
 * identical on SQLite and PostgreSQL.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('auth_api_keys', (table) => {
    table.string('id', 40).primary()
    table.string('name', 200).notNullable()
    table.string('key_hash', 64).notNullable().unique()
    table.text('permissions').notNullable()
    table.bigInteger('created_at').notNullable()
    table.bigInteger('expires_at').nullable()
    table.bigInteger('last_used_at').nullable()
    table.bigInteger('usage_count').notNullable().defaultTo(0)
    table.bigInteger('revoked_at').nullable()
  })

  await knex.schema.createTable('auth_revoked_tokens', (table) => {
    table.string('jti', 128).primary()
    table.bigInteger('expires_at').notNullable().index()
    table.bigInteger('revoked_at').notNullable()
  })

  await knex.schema.createTable('auth_thread_owners', (table) => {
    table.string('thread_id', 128).primary()
    table.string('owner', 300).notNullable()
    table.bigInteger('created_at').notNullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('auth_thread_owners')
  await knex.schema.dropTableIfExists('auth_revoked_tokens')
  await knex.schema.dropTableIfExists('auth_api_keys')
}
