import type { CommandSpec } from '../command'

export const makeCommands: CommandSpec[] = []
