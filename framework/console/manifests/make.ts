import { jsonOption, type CommandSpec } from '../command'

const name = { name: 'name', description: 'name in PascalCase, camelCase, snake_case or kebab-case' }
const force = { flags: '--force', description: 'overwrite an existing file' }

/** Generators: each writes one file from `stubs/make/<kind>/main.stub` and prints its path. */
export const makeCommands: CommandSpec[] = [
  {
    name: 'make:agent',
    group: 'make',
    description: 'Create an agent class in app/agents/<name>_agent.ts',
    arguments: [name],
    options: [force, jsonOption],
    load: () => require('../commands/make_agent'),
  },
  {
    name: 'make:tool',
    group: 'make',
    description: 'Create a tool in app/tools/<name>_tool.ts',
    arguments: [name],
    options: [force, jsonOption],
    load: () => require('../commands/make_tool'),
  },
  {
    name: 'make:middleware',
    group: 'make',
    description: 'Create an agent middleware in app/middleware/<name>_middleware.ts',
    arguments: [name],
    options: [force, jsonOption],
    load: () => require('../commands/make_middleware'),
  },
  {
    name: 'make:state',
    group: 'make',
    description: 'Create a zod state schema in app/state/<name>_state.ts',
    arguments: [name],
    options: [force, jsonOption],
    load: () => require('../commands/make_state'),
  },
  {
    name: 'make:migration',
    group: 'make',
    description: 'Create a timestamped migration in database/migrations/ (create_<table>_table creates a table)',
    arguments: [name],
    options: [{ flags: '--force', description: 'create it even if a migration with this name exists' }, jsonOption],
    load: () => require('../commands/make_migration'),
  },
]
