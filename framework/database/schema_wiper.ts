import type { Knex } from 'knex'
import type { DatabaseDialect } from './database_url'

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`

/**
 * Drops every table of the database (the current schema on PostgreSQL) in one
 * transaction, for `migrate:fresh`. On PostgreSQL the other objects migrations
 * create go too: views, materialized views, sequences, types (enums, domains)
 * and functions; objects that belong to an extension are left to it.
 * Resolves with the names of the dropped tables.
 *
 * @example
 * const dropped = await wipeDatabase(db.connection(), db.dialect)
 */
export async function wipeDatabase(knex: Knex, dialect: DatabaseDialect): Promise<string[]> {
  return knex.transaction((trx) => (dialect === 'postgres' ? wipePostgres(trx) : wipeSqlite(trx)))
}

async function wipeSqlite(trx: Knex.Transaction): Promise<string[]> {
  // Foreign keys cannot be switched off inside a transaction; deferring them lets
  // tables go in any order, and nothing is left to violate them at commit.
  await trx.raw('PRAGMA defer_foreign_keys = ON')
  const objects = (): Promise<Array<{ name: string; type: string; sql: string | null }>> =>
    trx.raw("select name, type, sql from sqlite_master where type in ('table', 'view') and name not like 'sqlite_%'")
  for (const view of (await objects()).filter((object) => object.type === 'view')) {
    await trx.raw(`DROP VIEW IF EXISTS ${quote(view.name)}`)
  }
  const dropped: string[] = []
  // Virtual tables first: dropping one removes its shadow tables.
  for (const table of (await objects()).filter((object) => /^\s*create\s+virtual/i.test(object.sql ?? ''))) {
    await trx.raw(`DROP TABLE IF EXISTS ${quote(table.name)}`)
    dropped.push(table.name)
  }
  for (const table of (await objects()).filter((object) => object.type === 'table')) {
    await trx.raw(`DROP TABLE IF EXISTS ${quote(table.name)}`)
    dropped.push(table.name)
  }
  return dropped
}

/** Excludes objects owned by an extension (their `pg_depend` row has deptype 'e'). */
const NOT_FROM_EXTENSION = (oid: string) => `not exists (select 1 from pg_depend d where d.objid = ${oid} and d.deptype = 'e')`

async function wipePostgres(trx: Knex.Transaction): Promise<string[]> {
  const relations = async (kinds: string): Promise<Array<{ name: string; kind: string }>> =>
    (
      await trx.raw(
        `select c.relname as name, c.relkind as kind from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = current_schema() and c.relkind in (${kinds}) and not c.relispartition and ${NOT_FROM_EXTENSION('c.oid')}
         order by c.relname`,
      )
    ).rows

  for (const view of await relations("'v', 'm'")) {
    await trx.raw(`DROP ${view.kind === 'm' ? 'MATERIALIZED VIEW' : 'VIEW'} IF EXISTS ${quote(view.name)} CASCADE`)
  }
  const tables = (await relations("'r', 'p', 'f'")).map((table) => table.name)
  if (tables.length > 0) await trx.raw(`DROP TABLE IF EXISTS ${tables.map(quote).join(', ')} CASCADE`)
  // Sequences owned by a dropped column went with it; these are the standalone ones.
  const sequences = (await relations("'S'")).map((sequence) => sequence.name)
  if (sequences.length > 0) await trx.raw(`DROP SEQUENCE IF EXISTS ${sequences.map(quote).join(', ')} CASCADE`)

  // Enums, domains, ranges and standalone composite types (a table's row type went with
  // the table). Before routines: a range's constructors belong to the range type.
  const types: Array<{ name: string }> = (
    await trx.raw(
      `select t.typname as name from pg_type t join pg_namespace n on n.oid = t.typnamespace
       where n.nspname = current_schema() and t.typtype in ('e', 'd', 'r', 'c')
         and (t.typtype <> 'c' or exists (select 1 from pg_class c where c.oid = t.typrelid and c.relkind = 'c'))
         and ${NOT_FROM_EXTENSION('t.oid')}`,
    )
  ).rows
  if (types.length > 0) await trx.raw(`DROP TYPE IF EXISTS ${types.map((type) => quote(type.name)).join(', ')} CASCADE`)

  // Functions and procedures, such as trigger functions; regprocedure text is the
  // quoted, argument-qualified signature DROP ROUTINE expects.
  const routines: Array<{ signature: string }> = (
    await trx.raw(
      `select p.oid::regprocedure::text as signature from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = current_schema() and p.prokind in ('f', 'p')
         and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype in ('e', 'i'))`,
    )
  ).rows
  for (const routine of routines) await trx.raw(`DROP ROUTINE IF EXISTS ${routine.signature} CASCADE`)
  return tables
}
