import type { CommandSpec } from '../command'

export const migrateCommands: CommandSpec[] = []
