import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { GeneratorKind } from '../../framework/console/generators'

const ROOT = join(__dirname, '..', '..')
const BIN = join(ROOT, 'bin', 'langvel')
const TSC = require.resolve('typescript/bin/tsc')

const GENERATED: Array<[GeneratorKind, string]> = [
  ['agent', 'CustomerSupport'],
  ['tool', 'SearchDocs'],
  ['middleware', 'Audit'],
  ['state', 'Ticket'],
  ['migration', 'create_tickets_table'],
]

function langvel(basePath: string, args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, LANGVEL_BASE_PATH: basePath, APP_ENV: 'test', LOG_LEVEL: 'error', NO_COLOR: '1' },
  })
}

function listTree(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).sort()
}

describe('langvel make:* as a process', () => {
  const project = mkdtempSync(join(tmpdir(), 'langvel-e2e-make-'))
  const created = new Map<GeneratorKind, string>()

  beforeAll(() => {
    // A project root whose framework/, config/ and node_modules/ are the repository's, so generated
    // files import `../../framework` exactly as they would inside a real application.
    symlinkSync(join(ROOT, 'framework'), join(project, 'framework'), 'dir')
    symlinkSync(join(ROOT, 'config'), join(project, 'config'), 'dir')
    symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'), 'dir')
    for (const [kind, name] of GENERATED) {
      const result = langvel(project, [`make:${kind}`, name])
      const path = /created (\S+)/.exec(result.stdout)?.[1]
      if (result.status !== 0 || !path) throw new Error(`make:${kind} failed (${result.status}): ${result.stderr}`)
      created.set(kind, path)
    }
  })

  afterAll(() => rmSync(project, { recursive: true, force: true }))

  it('refuses make:agent ../../evil with a non-zero exit and writes nothing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'langvel-e2e-evil-'))
    try {
      const result = langvel(empty, ['make:agent', '../../evil'])
      expect(result.status).not.toBe(0)
      expect(result.stderr).toContain('E_INVALID_NAME')
      expect(listTree(empty)).toEqual([])
    } finally {
      rmSync(empty, { recursive: true, force: true })
    }
  })

  // One compiler run over every generated file: tsc names the file of any error.
  it('every generated file (agent, tool, middleware, state, migration) type-checks under the project tsconfig', () => {
    const tsconfig = join(project, 'tsconfig.generated.json')
    writeFileSync(
      tsconfig,
      JSON.stringify({ extends: join(ROOT, 'tsconfig.json'), compilerOptions: { noEmit: true, rootDir: '/' }, files: [...created.values()], include: [] }),
    )
    expect(created.size).toBe(GENERATED.length)
    const result = spawnSync(process.execPath, [TSC, '-p', tsconfig, '--pretty', 'false'], { encoding: 'utf8', cwd: project, timeout: 120_000 })
    expect(result.stdout + result.stderr).toBe('')
    expect(result.status).toBe(0)
  })

  it('the generated agent runs: validated input in, its node output out', async () => {
    const { CustomerSupportAgent } = require(join(project, created.get('agent') as string))
    const agent = new CustomerSupportAgent()
    await agent.compile()
    const { output } = await agent.invoke({ input: 'hello' })
    expect(output).toEqual({ input: 'hello', output: 'You said: hello' })
    await expect(agent.invoke({ input: '' })).rejects.toMatchObject({ code: 'E_VALIDATION' })
  })

  it('the generated state schema parses input and rejects a wrong shape', () => {
    const { TicketState } = require(join(project, created.get('state') as string))
    expect(TicketState.parse({ input: 'hello' })).toEqual({ input: 'hello' })
    expect(TicketState.safeParse({ input: 42 }).success).toBe(false)
  })

  it('the generated tool validates its input and answers a call', async () => {
    const { searchDocsTool } = require(join(project, created.get('tool') as string))
    expect(searchDocsTool.name).toBe('search_docs')
    await expect(searchDocsTool.call({ query: 'routing' })).resolves.toEqual({ query: 'routing' })
    await expect(searchDocsTool.call({ query: '' })).rejects.toMatchObject({ code: 'E_TOOL_INPUT' })
  })

  it('the generated create-table migration creates and drops its table', async () => {
    const migration = require(join(project, created.get('migration') as string))
    const knex = require('knex')({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true })
    try {
      await migration.up(knex)
      expect(await knex.schema.hasTable('tickets')).toBe(true)
      await migration.down(knex)
      expect(await knex.schema.hasTable('tickets')).toBe(false)
    } finally {
      await knex.destroy()
    }
  })
})
