import { Writable } from 'node:stream'
import mcpList from '../../../framework/console/commands/mcp_list'
import { Output } from '../../../framework/console/output'
import { E_MCP_SERVER_NOT_FOUND } from '../../../framework/errors'
import type { Application } from '../../../framework/foundation/application'

/** Where servers are declared: config/mcp.ts (where the example is) first, then mcp.json. */
const WHERE = 'under `servers` in config/mcp.ts or under "mcpServers" in mcp.json'

describe('where the MCP hints say servers are declared', () => {
  it('mcp:list with no server names config/mcp.ts and mcp.json', async () => {
    const printed: string[] = []
    const sink = new Writable({ write: (chunk, _encoding, done) => (printed.push(String(chunk)), done()) })
    const output = new Output({ stdout: sink, stderr: sink, colors: false })
    const app = { make: () => ({ list: async () => [] }) } as unknown as Application

    expect(await mcpList({ app, args: [], options: {}, output })).toBe(0)
    expect(printed.join('')).toContain(`No MCP servers configured: declare them ${WHERE}`)
  })

  it('E_MCP_SERVER_NOT_FOUND names config/mcp.ts and mcp.json in its help', () => {
    expect(new E_MCP_SERVER_NOT_FOUND('github').help).toBe(`Declare it ${WHERE}; \`langvel mcp:list\` shows the configured servers.`)
  })
})
