import { E_INVALID_INPUT } from '../../errors'
import type { CommandHandler } from '../command'
import { guardProduction, migratorFor, plural, progressPrinter, type MigrateCommandOptions } from './migrate_shared'

/** `langvel migrate:rollback [--step <n>] [--force] [--path <dir>] [--json]`: undoes the last batch, or the last n migrations. */
const migrateRollback: CommandHandler<MigrateCommandOptions & { step?: string }> = async ({ app, options, output }) => {
  let step: number | undefined
  if (options.step !== undefined) {
    step = /^\d+$/.test(options.step) ? Number(options.step) : Number.NaN
    if (!(step >= 1)) throw new E_INVALID_INPUT(`--step must be a positive integer, got ${JSON.stringify(options.step)}`)
  }
  guardProduction(app, options, 'roll back migrations')
  const progress = progressPrinter(output)
  const result = await migratorFor(app, options).rollback({ step, onEvent: progress.onEvent })
  if (options.json) output.json({ batch: result.batch, migrations: result.migrations })
  if (result.migrations.length === 0) {
    output.info('Nothing to roll back')
    return
  }
  output.success(`Rolled back ${plural(result.migrations.length, 'migration')}${result.batch === null ? '' : ` of batch ${result.batch}`}`)
}

export default migrateRollback
