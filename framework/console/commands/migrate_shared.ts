import { resolve } from 'node:path'
import type { MigrationEvent } from '../../database/migrator'
import { Migrator } from '../../database/migrator'
import { E_PRODUCTION_GUARD } from '../../errors'
import type { Application } from '../../foundation/application'
import type { Output } from '../output'

/** Options shared by the migrate:* commands. */
export interface MigrateCommandOptions {
  force?: boolean
  /** A migrations folder instead of database/migrations (relative to the working directory). */
  path?: string
  json?: boolean
}

/** The migrator over the app's connection and migrations folder (or `--path`). */
export function migratorFor(app: Application, options: MigrateCommandOptions): Migrator {
  const directory = options.path ? resolve(process.cwd(), options.path) : app.codePathFor('database', 'migrations')
  return new Migrator(app.make('db'), { directory, logger: app.logger.child({ logger: 'migrator' }) })
}

/** Commands that change the schema refuse to run in production unless told twice. */
export function guardProduction(app: Application, options: MigrateCommandOptions, action: string): void {
  if (app.isProduction && !options.force) throw new E_PRODUCTION_GUARD(action)
}

/** Prints each migration as it starts and finishes (status lines); remembers whether it had to wait for the lock. */
export function progressPrinter(output: Output) {
  const state = { waited: false }
  const onEvent = (event: MigrationEvent) => {
    if (event.type === 'waiting') {
      state.waited = true
      output.warn(`Another process holds the migration lock; waiting up to ${Math.round(event.timeoutMs / 1000)}s`)
      return
    }
    const up = event.direction === 'up'
    if (event.type === 'start') {
      output.status(`${output.paint('yellow', up ? 'Migrating:  ' : 'Rolling back:')} ${event.name}`)
    } else {
      output.status(`${output.paint('green', up ? 'Migrated:   ' : 'Rolled back: ')} ${event.name} ${output.paint('gray', `(${event.durationMs.toFixed(1)} ms)`)}`)
    }
  }
  return { onEvent, state }
}

export const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`
