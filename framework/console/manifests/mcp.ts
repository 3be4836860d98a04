import { jsonOption as json, type CommandSpec } from '../command'

/** MCP: the servers agents use, and Langvel's agents served to MCP clients. Each command's code is loaded only when it runs. */
export const mcpCommands: CommandSpec[] = [
  {
    name: 'mcp:list',
    group: 'mcp',
    description: 'Start the configured MCP servers and list them: status and tools with their input schemas',
    options: [json],
    load: () => require('../commands/mcp_list'),
  },
  {
    name: 'mcp:call',
    group: 'mcp',
    description: 'Call a tool of an MCP server and print its result',
    arguments: [
      { name: 'server', description: 'the server, as named in mcp.json or config/mcp.ts' },
      { name: 'tool', description: 'the tool' },
    ],
    options: [{ flags: '-a, --args <json>', description: 'arguments as a JSON object', default: '{}' }, json],
    load: () => require('../commands/mcp_call'),
  },
  {
    name: 'mcp:serve',
    group: 'mcp',
    description: "Serve the application's agent routes as MCP tools over stdio (for MCP clients such as editors and desktop apps)",
    options: [],
    load: () => require('../commands/mcp_serve'),
  },
]
