import { setTimeout as sleep } from 'node:timers/promises'
import type { Knex } from 'knex'
import type { DatabaseDialect } from './database_url'

/** A row of the migrations table. */
export interface MigrationRecord {
  id: number
  name: string
  batch: number
  migration_time: Date | string | number | null
}

/**
 * The two tables knex's migrator keeps: `knex_migrations` (what ran, in which
 * batch) and `knex_migrations_lock` (one row, `is_locked`). This class creates
 * them safely when several processes start at once, reads them without
 * creating them, and inspects or clears the lock.
 *
 * @example
 * const repository = new MigrationRepository(knex, 'postgres')
 * await repository.ensure()
 * if (await repository.isLocked()) ...
 */
export class MigrationRepository {
  readonly lockTableName: string

  constructor(
    private readonly knex: Knex,
    private readonly dialect: DatabaseDialect,
    readonly tableName = 'knex_migrations',
  ) {
    // knex derives the lock table name the same way.
    this.lockTableName = `${tableName}_lock`
  }

  async exists(): Promise<boolean> {
    return this.knex.schema.hasTable(this.tableName)
  }

  /**
   * Creates both tables and the lock row when missing. Knex would do it too,
   * but two processes doing it at once can both insert a lock row, after which
   * the lock can never be taken again; so creation is serialized: an advisory
   * lock on PostgreSQL, SQLite's single writer (a stale reader retries).
   */
  async ensure(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (await this.ready()) return
        await this.knex.transaction(async (trx) => {
          if (this.dialect === 'postgres') {
            await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`langvel:migrations:${this.tableName}`])
          }
          if (!(await trx.schema.hasTable(this.tableName))) {
            await trx.schema.createTable(this.tableName, (table) => {
              table.increments()
              table.string('name')
              table.integer('batch')
              table.timestamp('migration_time')
            })
          }
          if (!(await trx.schema.hasTable(this.lockTableName))) {
            await trx.schema.createTable(this.lockTableName, (table) => {
              table.increments('index').primary()
              table.integer('is_locked')
            })
          }
          const rows = await trx(this.lockTableName).count({ count: '*' })
          if (Number(rows[0]?.count ?? 0) === 0) await trx(this.lockTableName).insert({ is_locked: 0 })
        })
        return
      } catch (error) {
        // A concurrent creator won the race (SQLITE_BUSY_SNAPSHOT, duplicate table):
        // the next attempt finds the tables in place.
        if (attempt >= 5) throw error
        await sleep(25 * attempt)
      }
    }
  }

  /** Every recorded migration in the order it ran; empty when the table does not exist. */
  async records(): Promise<MigrationRecord[]> {
    if (!(await this.exists())) return []
    const rows = await this.knex(this.tableName).select('id', 'name', 'batch', 'migration_time').orderBy('id')
    return rows.map((row) => ({ ...row, id: Number(row.id), batch: Number(row.batch) }))
  }

  /**
   * True while another run holds the lock. On PostgreSQL a run inside its
   * batch transaction has set `is_locked` without committing, so the row lock
   * (NOWAIT) is probed as well as the committed value.
   */
  async isLocked(): Promise<boolean> {
    if (!(await this.knex.schema.hasTable(this.lockTableName))) return false
    if (this.dialect !== 'postgres') {
      const rows = await this.knex(this.lockTableName).select('is_locked')
      return rows.some((row) => Number(row.is_locked) === 1)
    }
    try {
      return await this.knex.transaction(async (trx) => {
        const rows = await trx(this.lockTableName).select('is_locked').forUpdate().noWait()
        return rows.some((row) => Number(row.is_locked) === 1)
      })
    } catch (error) {
      if ((error as { code?: string }).code === '55P03') return true // lock_not_available
      throw error
    }
  }

  /** Clears the lock, leaving exactly one unlocked row. Resolves true when it was held. */
  async unlock(): Promise<boolean> {
    if (!(await this.knex.schema.hasTable(this.lockTableName))) return false
    return this.knex.transaction(async (trx) => {
      const rows = await trx(this.lockTableName).select('is_locked')
      await trx(this.lockTableName).del()
      await trx(this.lockTableName).insert({ is_locked: 0 })
      return rows.some((row) => Number(row.is_locked) === 1)
    })
  }

  private async ready(): Promise<boolean> {
    if (!(await this.exists()) || !(await this.knex.schema.hasTable(this.lockTableName))) return false
    const rows = await this.knex(this.lockTableName).count({ count: '*' })
    return Number(rows[0]?.count ?? 0) > 0
  }
}
