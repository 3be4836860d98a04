import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { configKeys, discoverConfigFiles } from '../../../framework/config'

const ROOT = join(__dirname, '..', '..', '..')
const keys = configKeys(discoverConfigFiles(join(ROOT, 'config')))

describe('configuration documentation', () => {
  it('finds the keys the issue names in the schemas', () => {
    for (const key of ['APP_ENV', 'DEBUG', 'SERVER_PORT', 'JWT_SECRET_KEY', 'DATABASE_URL', 'STATE_CHECKPOINTER', 'LOG_FORMAT', 'LLM_PROVIDER']) {
      expect(keys).toContain(key)
    }
  })

  it('documents every key of the schemas in docs/CONFIGURATION.md', () => {
    const page = readFileSync(join(ROOT, 'docs', 'CONFIGURATION.md'), 'utf8')
    const missing = keys.filter((key) => !page.includes(`| \`${key}\` |`))
    expect(missing).toEqual([])
  })

  it('lists every key of the schemas in .env.example', () => {
    const example = readFileSync(join(ROOT, '.env.example'), 'utf8')
    const listed = new Set(example.split('\n').map((line) => /^([A-Z0-9_]+)=/.exec(line)?.[1]).filter(Boolean))
    const missing = keys.filter((key) => !listed.has(key))
    expect(missing).toEqual([])
  })
})

describe('MCP documentation', () => {
  const read = (...path: string[]) => readFileSync(join(ROOT, ...path), 'utf8')

  it('documents MCP_HTTP_MIDDLEWARE=none, and no longer advises `,` for no middleware', () => {
    const row = (page: string) => page.split('\n').find((line) => line.startsWith('| `MCP_HTTP_MIDDLEWARE` |')) ?? ''
    for (const text of [row(read('docs', 'CONFIGURATION.md')), row(read('docs', 'mcp.md')), read('.env.example')]) {
      expect(text).toMatch(/`none`/)
      expect(text).not.toMatch(/`,` means none/)
    }
  })

  it("says toolLoop's tools take tool sources such as mcpTools(), linking docs/mcp.md", () => {
    const row = read('docs', 'llm.md').split('\n').find((line) => line.startsWith('| `tools` | — |')) ?? ''
    expect(row).toContain("`mcpTools('notes')`")
    expect(row).toContain('](mcp.md#using-mcp-tools-in-agents)')
  })
})
