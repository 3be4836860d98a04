import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Knex } from 'knex'
import type { Logger } from '../logger'
import { watchConnectionLoss, type ErrorEmitter } from './connection_loss'
import { parseDatabaseUrl, type DatabaseDialect, type DatabaseTarget } from './database_url'

export interface DatabaseManagerOptions {
  /** DATABASE_URL; empty means the SQLite file `storage/database.sqlite` under `basePath`. */
  url?: string
  /** Pool bounds for PostgreSQL. SQLite always uses one connection (see `knexConfig`). */
  pool?: { min: number; max: number }
  /** The project root: relative SQLite paths and the default file resolve against it. */
  basePath: string
  /** How long a SQLite connection waits for another process's write lock before SQLITE_BUSY. */
  busyTimeoutMs?: number
  logger?: Logger
}

/** Minimal surface of a better-sqlite3 connection used when a pooled connection is created. */
interface SqliteConnection {
  pragma(source: string, options?: { simple?: boolean }): unknown
}

// Knex's migrator warns on every refused lock attempt (the Migrator waits and retries on
// purpose) and on a failed migration (the Migrator reports it as E_MIGRATION_FAILED); the
// pool warns, with the driver's stack, on every failed connection attempt, and the same
// error then reaches the caller that wanted the connection; it warns again when it discards a
// connection the server dropped, which watchConnectionLoss has reported: debugging detail, not warnings.
const KNEX_CHATTER = /^(Can't take lock to run migrations|If you are sure migrations are not running|migration file ".*" failed|migration failed with error:|Acquire connection error:|Connection Error:)/

/**
 * The application's SQL connection: one shared, pooled Knex instance over
 * SQLite (better-sqlite3, the default) or PostgreSQL, picked from DATABASE_URL.
 * knex and the driver are loaded on the first `connection()`, so commands that
 * never query pay nothing for them.
 *
 * @example
 * const db = app.make('db')
 * const rows = await db.connection()('users').where({ id: 1 })
 * const latencyMs = await db.ping()
 */
export class DatabaseManager {
  readonly target: DatabaseTarget
  private instance?: Knex

  constructor(private readonly options: DatabaseManagerOptions) {
    this.target = parseDatabaseUrl(options.url, options.basePath)
  }

  get dialect(): DatabaseDialect {
    return this.target.dialect
  }

  /** The SQLite file in use (`:memory:` for an in-memory database); undefined on PostgreSQL. */
  get filename(): string | undefined {
    return this.target.dialect === 'sqlite' ? this.target.filename : undefined
  }

  /** The shared Knex instance, created on first use. */
  connection(): Knex {
    if (!this.instance) {
      // Required lazily so `langvel --help` and the generators never load knex or a driver.
      const knex = require('knex') as typeof import('knex')
      if (this.target.dialect === 'sqlite' && this.target.filename !== ':memory:') {
        mkdirSync(dirname(this.target.filename), { recursive: true })
      }
      this.instance = knex.knex(this.knexConfig())
    }
    return this.instance
  }

  /** Runs a trivial query; resolves with the round trip in milliseconds. */
  async ping(): Promise<number> {
    const started = performance.now()
    await this.connection().raw('select 1')
    return performance.now() - started
  }

  /** Destroys the pool. Safe to call twice; a later `connection()` opens a new pool. */
  async close(): Promise<void> {
    const instance = this.instance
    this.instance = undefined
    if (instance) await instance.destroy()
  }

  /** The Knex configuration for this target (exposed for tools that need their own instance). */
  knexConfig(): Knex.Config {
    const log = this.knexLog()
    if (this.target.dialect === 'postgres') {
      return {
        client: 'pg',
        connection: { connectionString: this.target.url, application_name: 'langvel' },
        pool: {
          min: this.options.pool?.min ?? 0,
          max: this.options.pool?.max ?? 10,
          // A connection the server drops must not end the process: knex marks it and discards it on
          // its next acquire; the listener of our own makes that independent of knex internals and logs it.
          afterCreate: (connection: ErrorEmitter, done: (error: Error | null, connection: unknown) => void) => {
            watchConnectionLoss(connection, { logger: this.options.logger, pool: 'database' })
            done(null, connection)
          },
        },
        log,
      }
    }
    const busyTimeoutMs = this.options.busyTimeoutMs ?? 5000
    return {
      client: 'better-sqlite3',
      connection: { filename: this.target.filename },
      useNullAsDefault: true,
      // better-sqlite3 is synchronous: a second connection waiting on a lock held by
      // a transaction of this same process would block the event loop that transaction
      // needs to finish. One connection serializes queries in the pool queue instead.
      pool: {
        min: 1,
        max: 1,
        afterCreate: (connection: SqliteConnection, done: (error: Error | null, connection: unknown) => void) => {
          try {
            // WAL lets readers proceed while a writer works; the busy timeout makes a
            // second process (two `migrate` runs, a worker) wait for the writer instead of
            // failing with SQLITE_BUSY at once.
            connection.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`)
            connection.pragma('journal_mode = WAL')
            connection.pragma('foreign_keys = ON')
            done(null, connection)
          } catch (error) {
            done(error as Error, connection)
          }
        },
      },
      log,
    }
  }

  private knexLog(): Knex.Config['log'] {
    const logger = this.options.logger
    const text = (message: unknown) => (typeof message === 'string' ? message : JSON.stringify(message))
    return {
      warn: (message: unknown) => {
        const line = text(message)
        if (KNEX_CHATTER.test(line)) logger?.debug(line)
        else logger?.warn(line)
      },
      error: (message: unknown) => logger?.error(text(message)),
      debug: (message: unknown) => logger?.debug(text(message)),
      deprecate: (message: unknown) => logger?.warn(text(message)),
    }
  }
}
