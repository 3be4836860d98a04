import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cli, scratch, tree } from './cli_harness'

describe('make:* commands', () => {
  let dir: string
  let cleanup: () => void
  beforeEach(() => ({ dir, cleanup } = scratch()))
  afterEach(() => cleanup())

  it.each([
    ['make:agent', 'CustomerSupport', 'app/agents/customer_support_agent.ts'],
    ['make:tool', 'search-docs', 'app/tools/search_docs_tool.ts'],
    ['make:middleware', 'rate_check', 'app/middleware/rate_check_middleware.ts'],
    ['make:state', 'TicketState', 'app/state/ticket_state.ts'],
  ])('%s %s creates %s and prints its path relative to the project root', async (command, name, path) => {
    const result = await cli(dir, [command, name])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`created ${path}`)
    expect(result.stdout).not.toContain(dir)
    expect(existsSync(join(dir, path))).toBe(true)
  })

  it('make:migration creates one timestamped file under database/migrations', async () => {
    const result = await cli(dir, ['make:migration', 'create_users_table'])
    expect(result.code).toBe(0)
    const files = tree(join(dir, 'database', 'migrations'))
    expect(files).toHaveLength(1)
    expect(files[0]).toMatch(/^\d{14}_create_users_table\.ts$/)
    expect(result.stdout).toContain(`created database/migrations/${files[0]}`)
  })

  it('refuses an invalid name with exit code 1 and writes nothing', async () => {
    const result = await cli(dir, ['make:agent', '../../evil'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('[E_INVALID_NAME]')
    expect(tree(dir)).toEqual([])
  })

  it('keeps an existing file unless --force is passed', async () => {
    await cli(dir, ['make:state', 'Ticket'])
    const file = join(dir, 'app', 'state', 'ticket_state.ts')
    writeFileSync(file, '// mine\n')

    const refused = await cli(dir, ['make:state', 'Ticket'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('[E_FILE_EXISTS]')
    expect(readFileSync(file, 'utf8')).toBe('// mine\n')

    const forced = await cli(dir, ['make:state', 'Ticket', '--force'])
    expect(forced.code).toBe(0)
    expect(readFileSync(file, 'utf8')).toContain('export const TicketState')
  })

  it('requires a name', async () => {
    const result = await cli(dir, ['make:tool'])
    expect(result.code).not.toBe(0)
    expect(tree(dir)).toEqual([])
  })
})
