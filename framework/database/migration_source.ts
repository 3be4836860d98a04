import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Knex } from 'knex'
import { E_MIGRATION_FAILED, isException } from '../errors'
import { SOURCE_EXTENSIONS } from '../foundation/paths'

/** One migration file, named without its extension. */
export interface MigrationFile {
  name: string
  file: string
}

/** What a migration module exports. `config.transaction = false` opts out of the batch transaction (knex). */
export interface MigrationModule {
  up(knex: Knex): Promise<unknown>
  down(knex: Knex): Promise<unknown>
  config?: { transaction?: boolean }
}

/**
 * Knex migration source over `database/migrations/*.{ts,js}`. A migration is
 * named by its file name without extension, so the name recorded in
 * `knex_migrations` is the same whether the source `.ts` or the compiled `.js`
 * ran it. Files are ordered by name (the timestamp prefix).
 *
 * @example
 * const source = new FileMigrationSource('/srv/app/database/migrations')
 * await knex.migrate.latest({ migrationSource: source })
 */
export class FileMigrationSource implements Knex.MigrationSource<MigrationFile> {
  constructor(
    readonly directory: string,
    private readonly extensions: readonly string[] = SOURCE_EXTENSIONS,
  ) {}

  /** Every migration in the folder, sorted by name; an absent folder has none. */
  list(): MigrationFile[] {
    if (!existsSync(this.directory)) return []
    const byName = new Map<string, MigrationFile>()
    for (const entry of readdirSync(this.directory).sort()) {
      if (entry.endsWith('.d.ts')) continue
      const extension = this.extensions.find((candidate) => entry.endsWith(candidate))
      if (!extension) continue
      const name = entry.slice(0, -extension.length)
      const known = byName.get(name)
      // A compiled .js beside its .ts source is the same migration: keep the preferred extension.
      if (known && this.rank(known.file) <= this.rank(entry)) continue
      byName.set(name, { name, file: join(this.directory, entry) })
    }
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  async getMigrations(): Promise<MigrationFile[]> {
    return this.list()
  }

  getMigrationName(migration: MigrationFile): string {
    return migration.name
  }

  async getMigration(migration: MigrationFile): Promise<Knex.Migration> {
    return this.load(migration)
  }

  /** Requires a migration module and checks that it exports `up` and `down`. */
  load(migration: MigrationFile): MigrationModule {
    let loaded: Partial<MigrationModule> & { default?: Partial<MigrationModule> }
    try {
      loaded = require(migration.file)
    } catch (error) {
      if (isException(error)) throw error
      throw new E_MIGRATION_FAILED(migration.name, `could not be loaded: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      })
    }
    // `export default { up, down }` is accepted as well as named exports.
    const module = typeof loaded.up === 'function' ? loaded : (loaded.default ?? loaded)
    if (typeof module.up !== 'function' || typeof module.down !== 'function') {
      throw new E_MIGRATION_FAILED(migration.name, 'it must export up(knex) and down(knex) functions', {
        help: `Export both functions from ${migration.file}.`,
      })
    }
    return module as MigrationModule
  }

  private rank(file: string): number {
    const index = this.extensions.findIndex((extension) => file.endsWith(extension))
    return index === -1 ? Number.MAX_SAFE_INTEGER : index
  }
}
