import cluster from 'node:cluster'
import { Command, CommanderError } from 'commander'
import type { ApplicationOptions } from '../foundation/application'
import type { CommandGroup, CommandSpec } from './command'
import { commands as allCommands } from './manifest'
import { Output } from './output'

const GROUP_HEADINGS: Record<CommandGroup, string> = {
  general: 'General:',
  config: 'Config:',
  make: 'Make:',
  migrate: 'Migrate:',
  agent: 'Agent:',
  server: 'Server:',
  auth: 'Auth:',
  rag: 'RAG:',
  mcp: 'MCP:',
  memory: 'Memory:',
  queue: 'Queue:',
}

export interface RunOptions {
  output?: Output
  app?: ApplicationOptions
  commands?: CommandSpec[]
}

const VERSION: string = require('../../package.json').version

function addCommand(program: Command, spec: CommandSpec, run: (spec: CommandSpec, args: string[], options: Record<string, unknown>) => Promise<void>) {
  const command = program.command(spec.name).description(spec.description).helpGroup(GROUP_HEADINGS[spec.group])
  for (const argument of spec.arguments ?? []) {
    const name = `${argument.name}${argument.variadic ? '...' : ''}`
    command.argument(argument.required === false ? `[${name}]` : `<${name}>`, argument.description)
  }
  for (const option of spec.options ?? []) command.option(option.flags, option.description, option.default)
  command.action(async (...received: unknown[]) => {
    const self = received[received.length - 1] as Command
    await run(spec, self.args, self.opts())
  })
}

/**
 * Builds the CLI from the command manifest and runs it. Returns the exit code
 * instead of exiting, so tests run the CLI in-process.
 *
 * @example
 * process.exitCode = await runCli(process.argv)
 */
export async function runCli(argv: string[], options: RunOptions = {}): Promise<number> {
  const output = options.output ?? new Output()
  const program = new Command('langvel')
    .description('Build, serve and operate LangGraph agents')
    .version(VERSION, '-V, --version')
    .option('--verbose', 'print stack traces of errors')
    .showSuggestionAfterError(true)
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => output.line(text.replace(/\n$/, '')),
      writeErr: (text) => output.error(text.replace(/^error: /, '').replace(/\n$/, '')),
      outputError: (text, write) => write(text),
    })
  program.configureHelp({ sortSubcommands: true })

  let exitCode = 0
  const run = async (spec: CommandSpec, args: string[], commandOptions: Record<string, unknown>) => {
    const verbose = Boolean(program.opts().verbose)
    // Required here, not at the top: `langvel --help` must not load zod, winston or any driver.
    const { Application } = require('../foundation/application') as typeof import('../foundation/application')
    const { defaultProviders } = require('../foundation/providers') as typeof import('../foundation/providers')
    // Configuration warnings matter where something is served or run, not for generators;
    // a cluster worker runs the command its primary already warned about.
    const configWarnings = ['server', 'config'].includes(spec.group) && !cluster.isWorker
    const app = Application.create({ providers: defaultProviders(), configWarnings, ...options.app })
    try {
      if (spec.validateConfig !== false) await app.boot()
      const handler = spec.load().default
      // One rule for every command: with --json, stdout carries only the JSON.
      const commandOutput = commandOptions.json === true ? output.forJson() : output
      const code = await handler({ app, args, options: commandOptions, output: commandOutput })
      exitCode = typeof code === 'number' ? code : 0
    } catch (error) {
      exitCode = 1
      reportError(output, error, verbose)
    } finally {
      await app.shutdown()
    }
  }
  for (const spec of options.commands ?? allCommands) addCommand(program, spec, run)

  try {
    await program.parseAsync(argv)
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode
    reportError(output, error, true)
    return 1
  }
  return exitCode
}

function reportError(output: Output, error: unknown, verbose: boolean): void {
  const { isException } = require('../errors/exception') as typeof import('../errors/exception')
  if (isException(error)) {
    output.error(`[${error.code}] ${error.message}`)
    if (error.help) output.error(error.help)
  } else if (unreachable(error)) {
    output.error(`[E_SERVICE_UNAVAILABLE] ${unreachable(error)} is unavailable: ${firstLine(error as Error)}`)
    output.error('Check DATABASE_URL and REDIS_URL, and that the server they name is running and reachable.')
  } else {
    output.error(error instanceof Error ? firstLine(error) : String(error))
  }
  if (verbose && error instanceof Error && error.stack) output.error(error.stack)
}

/** PostgreSQL refusing the connection itself: no such database, bad password or role. */
const PG_CONNECT_REFUSED = new Set(['3D000', '28P01', '28000'])

/** The kind of service a connection failure is about (the database, Redis), for a command that could not reach it. */
function unreachable(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined
  if (PG_CONNECT_REFUSED.has(String((error as { code?: unknown }).code))) return 'The database'
  const { unavailableService } = require('../http/unavailable_service') as typeof import('../http/unavailable_service')
  const service = unavailableService(error)
  return service === 'A service the run depends on' ? 'A service the command depends on' : service
}

/**
 * One line for an error that is not ours. Node's "Cannot find module" message
 * carries the whole require stack: keep the module and the file that imports it.
 */
function firstLine(error: Error): string {
  const [head] = error.message.split('\n')
  const requireStack = (error as { requireStack?: unknown }).requireStack
  const importer = Array.isArray(requireStack) && typeof requireStack[0] === 'string' ? requireStack[0] : undefined
  return importer ? `${head} (imported by ${importer})` : head
}
