import { jsonOption as json, type CommandSpec } from '../command'

const principal = { name: 'principal', description: 'whose data: `user:<id>`, `api_key:<id>`, `system:<id>`, `anonymous`, or a bare id (a user)' }

/** Long-term memory: what is kept for a principal, and its erasure. Each command's code is loaded only when it runs. */
export const memoryCommands: CommandSpec[] = [
  {
    name: 'memory:list',
    group: 'memory',
    description: "List a principal's long-term memories and episodes (summaries of its finished threads)",
    arguments: [principal],
    options: [json],
    load: () => require('../commands/memory_list'),
  },
  {
    name: 'memory:forget',
    group: 'memory',
    description: 'Erase everything kept for a principal: its memories and episodes, the checkpoints of the threads it owns and their ownership records',
    arguments: [principal],
    options: [{ flags: '--force', description: 'run even when APP_ENV=production' }, json],
    load: () => require('../commands/memory_forget'),
  },
]
