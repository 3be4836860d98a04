import { setTimeout as sleep } from 'node:timers/promises'
import type { Knex } from 'knex'
import { E_INVALID_INPUT, E_MIGRATION_FAILED, E_MIGRATION_LOCKED, E_RUNTIME, isException, type Exception } from '../errors'
import type { Logger } from '../logger'
import type { DatabaseDialect } from './database_url'
import { FileMigrationSource, type MigrationFile } from './migration_source'
import { MigrationRepository } from './migration_repository'
import { wipeDatabase } from './schema_wiper'

export type MigrationDirection = 'up' | 'down'

/** Reported while a command runs, so the CLI prints each migration as it happens. */
export type MigrationEvent =
  | { type: 'waiting'; timeoutMs: number }
  | { type: 'start'; direction: MigrationDirection; name: string }
  | { type: 'done'; direction: MigrationDirection; name: string; durationMs: number }

export interface MigrationRunOptions {
  onEvent?: (event: MigrationEvent) => void
}

export interface MigrationResult {
  /** The batch that ran or was rolled back; null when nothing did (or for `--step`). */
  batch: number | null
  /** Migration names, in the order they ran. */
  migrations: string[]
}

export interface MigrationStatus {
  name: string
  batch: number | null
  ranAt: Date | null
  /** `missing`: recorded as run, but no file has that name. */
  status: 'ran' | 'pending' | 'missing'
}

export interface MigratorOptions {
  /** The folder of migration files (`app.codePathFor('database', 'migrations')` in an app). */
  directory: string
  /** Loadable extensions in order of preference; SOURCE_EXTENSIONS by default. */
  extensions?: readonly string[]
  tableName?: string
  /** How long to wait for another process's lock before E_MIGRATION_LOCKED; 30 s by default. */
  lockTimeoutMs?: number
  /** Pause between two looks at a held lock. */
  lockPollMs?: number
  logger?: Logger
}

/** The part of DatabaseManager the migrator needs. */
export interface MigrationConnection {
  readonly dialect: DatabaseDialect
  connection(): Knex
}

const LOCKED = Symbol('locked')
type Attempt<T> = Promise<T | typeof LOCKED>

/** The error knex throws when `knex_migrations_lock` is held (or, on SQLite, the write lock is busy). */
const isKnexLockError = (error: unknown) => (error as { name?: unknown } | undefined)?.name === 'MigrationLocked'

/** Driver errors (better-sqlite3's SqliteError) are not always `instanceof Error`. */
const messageOf = (error: unknown) => {
  const message = (error as { message?: unknown } | undefined)?.message
  return typeof message === 'string' ? message : String(error)
}

/** Tracks the migration in flight, so a failure names it and the CLI sees each step. */
class Progress {
  current?: string
  readonly finished: string[] = []
  private startedAt = 0

  constructor(
    readonly direction: MigrationDirection,
    private readonly onEvent?: (event: MigrationEvent) => void,
  ) {}

  hooks(): Pick<Knex.MigratorConfigWithLifecycleHooks, 'beforeEach' | 'afterEach'> {
    return {
      beforeEach: async (_knex, migrations) => {
        const name = (migrations[0] as MigrationFile).name
        this.current = name
        this.startedAt = performance.now()
        this.onEvent?.({ type: 'start', direction: this.direction, name })
      },
      afterEach: async (_knex, migrations) => {
        const name = (migrations[0] as MigrationFile).name
        this.current = undefined
        this.finished.push(name)
        this.onEvent?.({ type: 'done', direction: this.direction, name, durationMs: performance.now() - this.startedAt })
      },
    }
  }
}

/**
 * Runs the migrations of one folder with knex's migrator: batches, rollback,
 * status and fresh. Knex's lock table guarantees that two processes never
 * both apply a migration; on top of it the migrator makes the second process
 * wait for the lock (bounded by `lockTimeoutMs`, then E_MIGRATION_LOCKED) and
 * then find nothing left to do, instead of failing.
 *
 * @example
 * const migrator = new Migrator(app.make('db'), { directory: app.codePathFor('database', 'migrations') })
 * const { batch, migrations } = await migrator.latest({ onEvent: (event) => print(event) })
 */
export class Migrator {
  readonly source: FileMigrationSource
  readonly repository: MigrationRepository
  private readonly lockTimeoutMs: number
  private readonly lockPollMs: number

  constructor(
    private readonly db: MigrationConnection,
    private readonly options: MigratorOptions,
  ) {
    this.source = new FileMigrationSource(options.directory, options.extensions)
    this.repository = new MigrationRepository(db.connection(), db.dialect, options.tableName)
    this.lockTimeoutMs = options.lockTimeoutMs ?? 30_000
    this.lockPollMs = options.lockPollMs ?? 250
  }

  /** Names of the migrations that have not run yet, in the order they would run. */
  async pending(): Promise<string[]> {
    const ran = new Set((await this.recordsMatchingFiles()).map((record) => record.name))
    return this.source.list().map((file) => file.name).filter((name) => !ran.has(name))
  }

  /** Runs every pending migration in one new batch (one transaction unless a migration opts out). */
  async latest(options: MigrationRunOptions = {}): Promise<MigrationResult> {
    await this.repository.ensure()
    return this.whenUnlocked(options, async () => {
      if ((await this.pending()).length === 0) return { batch: null, migrations: [] }
      if (await this.repository.isLocked()) return LOCKED
      const progress = new Progress('up', options.onEvent)
      const [batch, migrations] = await this.knexRun(progress, (config) => this.knex.migrate.latest(config))
      return { batch: migrations.length > 0 ? batch : null, migrations }
    })
  }

  /**
   * Rolls back the last batch, or with `step` the last `step` migrations
   * (newest first, across batches).
   */
  async rollback(options: MigrationRunOptions & { step?: number } = {}): Promise<MigrationResult> {
    if (options.step === undefined) {
      return this.whenUnlocked(options, async () => {
        if ((await this.recordsMatchingFiles()).length === 0) return { batch: null, migrations: [] }
        if (await this.repository.isLocked()) return LOCKED
        const progress = new Progress('down', options.onEvent)
        const [batch, migrations] = await this.knexRun(progress, (config) => this.knex.migrate.rollback(config))
        return { batch: migrations.length > 0 ? batch : null, migrations }
      })
    }
    if (!Number.isInteger(options.step) || options.step < 1) {
      throw new E_INVALID_INPUT(`--step must be a positive integer, got ${JSON.stringify(options.step)}`)
    }
    // One migration at a time, newest first: knex's `down` undoes a named migration.
    const progress = new Progress('down', options.onEvent)
    const migrations: string[] = []
    for (let index = 0; index < options.step; index++) {
      const name = await this.whenUnlocked(options, async () => {
        const last = (await this.recordsMatchingFiles()).at(-1)
        if (!last) return null
        if (await this.repository.isLocked()) return LOCKED
        await this.knexRun(progress, (config) => this.knex.migrate.down({ ...config, name: last.name }))
        return last.name
      })
      if (name === null) break
      migrations.push(name)
    }
    return { batch: null, migrations }
  }

  /** Every migration file with its batch, plus recorded migrations whose file is gone. */
  async status(): Promise<MigrationStatus[]> {
    const records = new Map((await this.repository.records()).map((record) => [record.name, record]))
    const files = this.source.list()
    const rows: MigrationStatus[] = files.map((file) => {
      const record = records.get(file.name)
      return record
        ? { name: file.name, batch: record.batch, ranAt: toDate(record.migration_time), status: 'ran' }
        : { name: file.name, batch: null, ranAt: null, status: 'pending' }
    })
    const known = new Set(files.map((file) => file.name))
    for (const record of records.values()) {
      if (!known.has(record.name)) rows.push({ name: record.name, batch: record.batch, ranAt: toDate(record.migration_time), status: 'missing' })
    }
    return rows
  }

  /** Drops every table (and, on PostgreSQL, the schema's other objects), then runs every migration. */
  async fresh(options: MigrationRunOptions = {}): Promise<MigrationResult & { dropped: string[] }> {
    const dropped = await this.whenUnlocked(options, async () => {
      if (await this.repository.isLocked()) return LOCKED
      return wipeDatabase(this.knex, this.db.dialect)
    })
    this.options.logger?.debug('dropped all tables', { count: dropped.length })
    return { dropped, ...(await this.latest(options)) }
  }

  /** Clears a lock left by a crashed run. Resolves true when the lock was held. */
  async unlock(): Promise<boolean> {
    return this.repository.unlock()
  }

  private get knex(): Knex {
    return this.db.connection()
  }

  /**
   * Retries `attempt` while the lock is held, up to the lock timeout. The
   * attempt re-reads what is pending each time, so a process that waited
   * behind another finds the work done.
   */
  private async whenUnlocked<T>(options: MigrationRunOptions, attempt: () => Attempt<T>): Promise<T> {
    const deadline = performance.now() + this.lockTimeoutMs
    let announced = false
    for (;;) {
      let outcome: T | typeof LOCKED
      try {
        outcome = await attempt()
      } catch (error) {
        // Lost the race for the lock between our look and knex's attempt.
        if (!isKnexLockError(error)) throw error
        outcome = LOCKED
      }
      if (outcome !== LOCKED) return outcome
      const remaining = deadline - performance.now()
      if (remaining <= 0) throw new E_MIGRATION_LOCKED(this.lockTimeoutMs / 1000)
      if (!announced) {
        announced = true
        options.onEvent?.({ type: 'waiting', timeoutMs: this.lockTimeoutMs })
        this.options.logger?.debug('another process holds the migration lock; waiting', { timeoutMs: this.lockTimeoutMs })
      }
      await sleep(Math.min(this.lockPollMs, remaining))
    }
  }

  /** Runs a knex migrator call with our source and hooks; failures name the migration. */
  private async knexRun(
    progress: Progress,
    run: (config: Knex.MigratorConfigWithLifecycleHooks) => Promise<[number, string[]]>,
  ): Promise<[number, string[]]> {
    try {
      return await run({ migrationSource: this.source, tableName: this.repository.tableName, ...progress.hooks() })
    } catch (error) {
      if (isKnexLockError(error)) throw error
      throw await this.failure(error, progress)
    }
  }

  /** Builds E_MIGRATION_FAILED saying which migration failed and what the database kept. */
  private async failure(error: unknown, progress: Progress): Promise<Exception> {
    if (isException(error)) return error
    const { direction } = progress
    const name = progress.current ?? 'batch'
    const recorded = new Set((await this.repository.records().catch(() => [])).map((record) => record.name))
    // What finished before the failure and survived it: a batch transaction undoes it all.
    const completed = progress.finished.filter((finished) => (direction === 'up' ? recorded.has(finished) : !recorded.has(finished)))
    const verb = direction === 'up' ? 'applied' : 'rolled back'
    const notes = [completed.length === 0 ? `No migration was ${verb}.` : `Already ${verb} before the failure: ${completed.join(', ')}.`]
    if (progress.current && this.outsideTransaction(progress.current)) {
      notes.push(`${name} opted out of transactions (config.transaction = false): check for changes it made before failing.`)
    }
    return new E_MIGRATION_FAILED(name, messageOf(error), {
      cause: error,
      help: `${notes.join(' ')} Fix ${name} and run the command again.`,
      details: { migration: name, direction, completed },
    })
  }

  private outsideTransaction(name: string): boolean {
    const file = this.source.list().find((candidate) => candidate.name === name)
    try {
      return file !== undefined && this.source.load(file).config?.transaction === false
    } catch {
      return false
    }
  }

  /** Recorded migrations, after checking each still has its file (knex refuses to run otherwise). */
  private async recordsMatchingFiles() {
    const records = await this.repository.records()
    const names = new Set(this.source.list().map((file) => file.name))
    const missing = records.filter((record) => !names.has(record.name)).map((record) => record.name)
    if (missing.length > 0) {
      throw new E_RUNTIME(`Migrations recorded in the database have no file in ${this.options.directory}: ${missing.join(', ')}`, {
        help: 'Restore the files, or point the command at the right folder (--path).',
      })
    }
    return records
  }
}

function toDate(value: Date | string | number | null): Date | null {
  if (value === null || value === undefined) return null
  const date = value instanceof Date ? value : new Date(value)
  return Number.isNaN(date.getTime()) ? null : date
}
