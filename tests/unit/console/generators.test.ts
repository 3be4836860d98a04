import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generate, names, renderStub, resolveStub, tableNameOf, timestamp, type GeneratorKind } from '../../../framework/console/generators'
import { scratch, tree } from './cli_harness'

const CODE_ROOT = join(__dirname, '..', '..', '..')
const NOW = new Date(Date.UTC(2025, 0, 2, 3, 4, 5))

describe('generator naming rules', () => {
  const accepted: Array<[GeneratorKind, string, string, string]> = [
    ['agent', 'CustomerSupport', 'app/agents/customer_support_agent.ts', 'CustomerSupportAgent'],
    ['agent', 'customerSupport', 'app/agents/customer_support_agent.ts', 'CustomerSupportAgent'],
    ['agent', 'customer-support', 'app/agents/customer_support_agent.ts', 'CustomerSupportAgent'],
    ['agent', 'customer_support', 'app/agents/customer_support_agent.ts', 'CustomerSupportAgent'],
    ['agent', 'CustomerSupportAgent', 'app/agents/customer_support_agent.ts', 'CustomerSupportAgent'],
    ['agent', 'SupportAgent', 'app/agents/support_agent.ts', 'SupportAgent'],
    ['agent', 'support', 'app/agents/support_agent.ts', 'SupportAgent'],
    ['agent', 'support_agent', 'app/agents/support_agent.ts', 'SupportAgent'],
    ['agent', 'HTTPClient', 'app/agents/http_client_agent.ts', 'HttpClientAgent'],
    ['agent', 'ClassRoom', 'app/agents/class_room_agent.ts', 'ClassRoomAgent'],
    ['agent', 'v2Router', 'app/agents/v2_router_agent.ts', 'V2RouterAgent'],
    ['tool', 'SearchDocs', 'app/tools/search_docs_tool.ts', 'SearchDocsTool'],
    ['tool', 'search-docs-tool', 'app/tools/search_docs_tool.ts', 'SearchDocsTool'],
    ['middleware', 'rate_check', 'app/middleware/rate_check_middleware.ts', 'RateCheckMiddleware'],
    ['middleware', 'AuditMiddleware', 'app/middleware/audit_middleware.ts', 'AuditMiddleware'],
    ['state', 'Ticket', 'app/state/ticket_state.ts', 'TicketState'],
    ['state', 'TicketState', 'app/state/ticket_state.ts', 'TicketState'],
    ['migration', 'create_users_table', 'database/migrations/20250102030405_create_users_table.ts', 'CreateUsersTable'],
    ['migration', 'CreateUsersTable', 'database/migrations/20250102030405_create_users_table.ts', 'CreateUsersTable'],
    ['migration', 'add-nickname-to-users', 'database/migrations/20250102030405_add_nickname_to_users.ts', 'AddNicknameToUsers'],
  ]

  it.each(accepted)('%s %j is written to %s as %s', (kind, input, path, className) => {
    const result = names(kind, input, NOW)
    expect(result.relativePath).toBe(path)
    expect(result.className).toBe(className)
  })

  it('derives a camelCase export name from the class and a snake_case name without the suffix', () => {
    expect(names('tool', 'SearchDocs')).toMatchObject({ camelName: 'searchDocsTool', snakeName: 'search_docs', fileName: 'search_docs_tool' })
    expect(names('agent', 'SupportAgent')).toMatchObject({ camelName: 'supportAgent', snakeName: 'support' })
  })

  const refused: Array<[GeneratorKind, string]> = [
    ['agent', '../../x'],
    ['agent', 'a/b'],
    ['agent', 'a\\b'],
    ['agent', '1abc'],
    ['agent', 'a b'],
    ['agent', ' a'],
    ['agent', 'a\n'],
    ['agent', ''],
    ['agent', 'a.b'],
    ['agent', '-a'],
    ['agent', 'a_'],
    ['agent', 'café'],
    ['agent', 'Агент'],
    ['agent', 'class'],
    ['tool', 'Delete'],
    ['state', 'constructor'],
    ['migration', '__proto__'],
    ['agent', 'Agent'],
    ['state', 'state'],
    ['agent', 'x'.repeat(81)],
  ]

  it.each(refused)('%s %j is refused with E_INVALID_NAME', (kind, input) => {
    expect(() => names(kind, input)).toThrow(expect.objectContaining({ code: 'E_INVALID_NAME' }))
  })

  it('stamps migrations in UTC as YYYYMMDDHHMMSS', () => {
    expect(timestamp(new Date('2025-12-31T23:59:58-05:00'))).toBe('20260101045958')
  })

  it('reads the table name from create_<table>_table migration names only', () => {
    expect(tableNameOf('create_users_table')).toBe('users')
    expect(tableNameOf('create_api_keys_table')).toBe('api_keys')
    expect(tableNameOf('add_nickname_to_users')).toBeUndefined()
    expect(tableNameOf('create_table')).toBeUndefined()
  })
})

describe('stub rendering', () => {
  it('replaces placeholders with or without inner spaces', () => {
    expect(renderStub('class {{ className }} {} // {{fileName}}', { className: 'A', fileName: 'a' })).toBe('class A {} // a')
  })

  it('refuses a placeholder it has no value for instead of leaving it in the file', () => {
    expect(() => renderStub('{{ className }} {{ tableNmae }}', { className: 'A' })).toThrow(expect.objectContaining({ code: 'E_INVALID_STUB' }))
  })

  it('reports E_MISSING_STUB for a kind that has no stub anywhere', () => {
    const { dir, cleanup } = scratch()
    try {
      expect(() => resolveStub(dir, 'nothing')).toThrow(expect.objectContaining({ code: 'E_MISSING_STUB' }))
    } finally {
      cleanup()
    }
  })
})

describe('generate()', () => {
  let dir: string
  let cleanup: () => void
  beforeEach(() => ({ dir, cleanup } = scratch()))
  afterEach(() => cleanup())

  const run = (kind: GeneratorKind, name: string, extra: { force?: boolean; now?: Date } = {}) =>
    generate({ kind, name, basePath: dir, codePath: CODE_ROOT, ...extra })

  it('writes the rendered stub at the conventional path', () => {
    const file = run('state', 'Ticket')
    expect(file.path).toBe(join(dir, 'app', 'state', 'ticket_state.ts'))
    const source = readFileSync(file.path, 'utf8')
    expect(source).toContain('export const TicketState = z.object(')
    expect(source).toContain('export type TicketState = z.infer<typeof TicketState>')
    expect(source).not.toContain('{{')
  })

  it('imports the framework relative to the generated file, preferring the project root framework/', () => {
    mkdirSync(join(dir, 'framework'))
    expect(readFileSync(run('agent', 'Support').path, 'utf8')).toContain(`from '../../framework/agents'`)
  })

  it('falls back to the code root framework/ when the project root has none', () => {
    const source = readFileSync(run('tool', 'Search').path, 'utf8')
    const specifier = /from '(.*)\/tools'/.exec(source)?.[1] ?? ''
    expect(join(dir, 'app', 'tools', specifier)).toBe(join(CODE_ROOT, 'framework'))
  })

  it('uses a stub from the project stubs/ folder over the framework one', () => {
    mkdirSync(join(dir, 'stubs', 'make', 'state'), { recursive: true })
    writeFileSync(join(dir, 'stubs', 'make', 'state', 'main.stub'), '// custom {{ className }} in {{ fileName }}\n')
    expect(readFileSync(run('state', 'Ticket').path, 'utf8')).toBe('// custom TicketState in ticket_state\n')
  })

  it('writes nothing when an override stub has an unknown placeholder', () => {
    mkdirSync(join(dir, 'stubs', 'make', 'state'), { recursive: true })
    writeFileSync(join(dir, 'stubs', 'make', 'state', 'main.stub'), '{{ nope }}')
    const before = tree(dir)
    expect(() => run('state', 'Ticket')).toThrow(expect.objectContaining({ code: 'E_INVALID_STUB' }))
    expect(tree(dir)).toEqual(before)
  })

  it('never overwrites an existing file without force, and does with it', () => {
    const file = run('middleware', 'Audit')
    writeFileSync(file.path, '// edited by hand\n')
    expect(() => run('middleware', 'Audit')).toThrow(expect.objectContaining({ code: 'E_FILE_EXISTS' }))
    expect(readFileSync(file.path, 'utf8')).toBe('// edited by hand\n')
    run('middleware', 'audit_middleware', { force: true })
    expect(readFileSync(file.path, 'utf8')).toContain("export function auditMiddleware")
  })

  it('writes nothing anywhere for a refused name', () => {
    expect(() => run('agent', '../../evil')).toThrow(expect.objectContaining({ code: 'E_INVALID_NAME' }))
    expect(tree(dir)).toEqual([])
    expect(existsSync(join(dir, '..', '..', 'evil_agent.ts'))).toBe(false)
  })

  it('creates a table in create_<table>_table migrations and leaves other migrations empty', () => {
    const create = readFileSync(run('migration', 'create_users_table', { now: NOW }).path, 'utf8')
    expect(create).toContain(`createTable('users'`)
    expect(create).toContain(`dropTableIfExists('users')`)
    const alter = readFileSync(run('migration', 'add_nickname_to_users', { now: NOW }).path, 'utf8')
    expect(alter).toMatch(/export async function up\(/)
    expect(alter).not.toContain('createTable')
  })

  it('gives migrations generated in the same second distinct timestamps in creation order', () => {
    const first = run('migration', 'create_users_table', { now: NOW })
    const second = run('migration', 'create_posts_table', { now: NOW })
    expect(first.fileName).toBe('20250102030405_create_users_table')
    expect(second.fileName).toBe('20250102030406_create_posts_table')
    expect([second.fileName, first.fileName].sort()).toEqual([first.fileName, second.fileName])
  })

  it('refuses a second migration with the same name unless forced, keeping the first', () => {
    const first = run('migration', 'create_users_table', { now: NOW })
    expect(() => run('migration', 'CreateUsersTable', { now: NOW })).toThrow(expect.objectContaining({ code: 'E_FILE_EXISTS' }))
    const second = run('migration', 'create_users_table', { now: NOW, force: true })
    expect(second.path).not.toBe(first.path)
    expect(tree(join(dir, 'database', 'migrations'))).toEqual([`${first.fileName}.ts`, `${second.fileName}.ts`])
  })
})
