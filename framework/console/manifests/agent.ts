import { jsonOption, type CommandSpec } from '../command'

export const agentCommands: CommandSpec[] = [
  {
    name: 'route:list',
    group: 'agent',
    description: 'List agent routes: path, agent, middleware, checkpointer, interrupts, tools',
    options: [jsonOption],
    load: () => require('../commands/route_list'),
  },
  {
    name: 'agent:list',
    group: 'agent',
    description: 'List the agents the routes serve',
    options: [jsonOption],
    load: () => require('../commands/agent_list'),
  },
  {
    name: 'agent:run',
    group: 'agent',
    description: 'Run the agent of a route once and print its output',
    arguments: [{ name: 'path', description: 'route path, e.g. /echo' }],
    options: [
      { flags: '-i, --input <json>', description: 'input as JSON', default: '{}' },
      { flags: '-t, --thread <id>', description: 'continue (or start) this thread' },
      { flags: '-s, --stream', description: 'print updates as each node finishes (with --json: one JSON object per line)' },
      jsonOption,
    ],
    load: () => require('../commands/agent_run'),
  },
  {
    name: 'agent:resume',
    group: 'agent',
    description: 'Resume an interrupted thread with a value',
    arguments: [{ name: 'path', description: 'route path, e.g. /approval' }],
    options: [
      { flags: '-t, --thread <id>', description: 'the interrupted thread (required)' },
      { flags: '-v, --value <json>', description: 'resume value as JSON', default: 'null' },
      { flags: '-s, --stream', description: 'print updates as each node finishes (with --json: one JSON object per line)' },
      jsonOption,
    ],
    load: () => require('../commands/agent_resume'),
  },
  {
    name: 'agent:graph',
    group: 'agent',
    description: "Print a route's graph as Mermaid, or write it to a file (.html renders it)",
    arguments: [{ name: 'path', description: 'route path, e.g. /research' }],
    options: [{ flags: '-o, --output <file>', description: 'write to this file (.mmd/.md or .html)' }, jsonOption],
    load: () => require('../commands/agent_graph'),
  },
]
