import { jsonOption, type CommandSpec } from '../command'

const force = { flags: '--force', description: 'run even when APP_ENV=production' }
const path = { flags: '--path <dir>', description: 'migrations folder (default: database/migrations)' }

export const migrateCommands: CommandSpec[] = [
  {
    name: 'migrate',
    group: 'migrate',
    description: 'Run pending migrations in one batch',
    options: [force, path, jsonOption],
    load: () => require('../commands/migrate'),
  },
  {
    name: 'migrate:rollback',
    group: 'migrate',
    description: 'Roll back the last batch of migrations (or the last --step n)',
    options: [{ flags: '--step <n>', description: 'roll back the last n migrations instead of the last batch' }, force, path, jsonOption],
    load: () => require('../commands/migrate_rollback'),
  },
  {
    name: 'migrate:status',
    group: 'migrate',
    description: 'List every migration with its batch and status',
    options: [path, jsonOption],
    load: () => require('../commands/migrate_status'),
  },
  {
    name: 'migrate:fresh',
    group: 'migrate',
    description: 'Drop every table, then run all migrations',
    options: [force, path, jsonOption],
    load: () => require('../commands/migrate_fresh'),
  },
  {
    name: 'migrate:unlock',
    group: 'migrate',
    description: 'Release the migration lock left by a crashed run',
    options: [jsonOption],
    load: () => require('../commands/migrate_unlock'),
  },
]
