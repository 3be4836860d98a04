import type { Application } from '../foundation/application'
import type { Output } from './output'

export type CommandGroup = 'general' | 'make' | 'migrate' | 'agent' | 'auth' | 'config' | 'server' | 'rag' | 'mcp' | 'memory' | 'queue'

export interface CommandContext<O = Record<string, unknown>> {
  app: Application
  args: string[]
  options: O
  output: Output
}

/** What a command module exports as default. Returns the exit code (0 when omitted). */
export type CommandHandler<O = any> = (context: CommandContext<O>) => Promise<number | void> | number | void

/**
 * A manifest entry. Only this (names, options, help text) is read to build
 * the CLI, so `langvel --help` never imports LangGraph, knex or a driver; the
 * command's module is required when it runs.
 */
export interface CommandSpec {
  name: string
  description: string
  group: CommandGroup
  arguments?: Array<{ name: string; description: string; required?: boolean; variadic?: boolean }>
  options?: Array<{ flags: string; description: string; default?: string | boolean }>
  /**
   * `false` skips config validation and boot: only for commands that repair the
   * configuration itself (key:generate), which `app.path()` and `app.env` serve.
   */
  validateConfig?: false
  load: () => { default: CommandHandler }
}

/**
 * The `--json` flag of every command that prints data. The kernel gives such a
 * run an output whose status lines go to stderr; the command prints its JSON.
 */
export const jsonOption = { flags: '--json', description: 'print JSON on stdout (status lines go to stderr)' } as const
