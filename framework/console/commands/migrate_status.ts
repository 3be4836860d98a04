import type { CommandHandler } from '../command'
import { migratorFor, type MigrateCommandOptions } from './migrate_shared'

const LABELS = { ran: 'Ran', pending: 'Pending', missing: 'Missing file' } as const

/** `langvel migrate:status [--path <dir>] [--json]`: every migration, its batch and whether it ran. */
const migrateStatus: CommandHandler<MigrateCommandOptions> = async ({ app, options, output }) => {
  const migrator = migratorFor(app, options)
  const rows = await migrator.status()
  if (options.json) {
    output.json(rows.map((row) => ({ name: row.name, batch: row.batch, status: row.status, ran_at: row.ranAt?.toISOString() ?? null })))
    return
  }
  if (rows.length === 0) {
    output.info(`No migrations found in ${migrator.source.directory}`)
    return
  }
  output.table(
    ['Migration', 'Batch', 'Status'],
    rows.map((row) => [row.name, row.batch ?? '', LABELS[row.status]]),
  )
  const pending = rows.filter((row) => row.status === 'pending').length
  output.line()
  output.line(`${rows.filter((row) => row.status === 'ran').length} ran, ${pending} pending`)
}

export default migrateStatus
